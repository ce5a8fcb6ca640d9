using System.Reflection;
using Microsoft.Extensions.Configuration;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>Collects the resources of a distributed application, declared in the AppHost's Program.cs.</summary>
public sealed class DistributedApplicationBuilder
{
    private readonly List<Resource> _resources = [];

    internal DistributedApplicationBuilder(DistributedApplicationOptions options)
    {
        var (command, configurationArgs) = SplitCommand(options.Args);
        Command = command;
        Configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine([.. configurationArgs])
            .Build();
        var entry = Assembly.GetEntryAssembly();
        AppHostDirectory = Path.GetFullPath(options.AppHostDirectory ?? Metadata(entry, "AppHostProjectDirectory") ?? AppContext.BaseDirectory);
        BuildConfiguration = options.BuildConfiguration ?? Metadata(entry, "AppHostConfiguration") ?? "Debug";
        DataDirectory = Path.GetFullPath(Configuration["Platform:DataDirectory"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(RepositoryRoot, ".platform-data"));
        Ports = new PortAllocator(Configuration);
    }

    public IConfiguration Configuration { get; }

    /// <summary>The nearest folder above the AppHost holding .git or a solution; the AppHost's parent otherwise.</summary>
    public string RepositoryRoot => FindRepositoryRoot(AppHostDirectory);

    public string AppHostDirectory { get; }

    public string BuildConfiguration { get; }

    /// <summary>Where resources keep data between runs: <c>Platform:DataDirectory</c>, else .platform-data at the repository root.</summary>
    public string DataDirectory { get; }

    public IReadOnlyList<Resource> Resources => _resources;

    /// <summary>"run" (default) or "publish".</summary>
    public string Command { get; }

    internal PortAllocator Ports { get; }

    /// <summary>A generated secret (e.g. the proxy token) to hand to services with <c>WithEnvironment(name, secret)</c>.</summary>
    public SecretParameter AddSecret(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new SecretParameter(name, DataDirectory);
    }

    public IResourceBuilder<T> AddResource<T>(T resource) where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (_resources.Any(r => r.Name == resource.Name))
            throw new InvalidOperationException($"A resource named '{resource.Name}' was already added.");
        _resources.Add(resource);
        return new ResourceBuilder<T>(resource, this);
    }

    public DistributedApplication Build()
    {
        var graph = ResourceGraph.Build(_resources);
        foreach (var project in _resources.OfType<ProjectResource>().Where(p => !File.Exists(p.ProjectPath)))
            throw new InvalidOperationException($"Project '{project.Name}' not found: {project.ProjectPath}");
        var clash = _resources.Where(r => r.Port is not null).GroupBy(r => r.Port).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new InvalidOperationException($"Port {clash.Key} is assigned to more than one resource: {string.Join(", ", clash.Select(r => r.Name))}.");
        return new DistributedApplication(this, graph);
    }

    private static (string Command, IReadOnlyList<string> Remaining) SplitCommand(IReadOnlyList<string> args) =>
        args.Count > 0 && !args[0].StartsWith('-') ? (args[0], args.Skip(1).ToList()) : ("run", args);

    private static string? Metadata(Assembly? assembly, string key) =>
        assembly?.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;

    private static string FindRepositoryRoot(string appHostDirectory)
    {
        for (var directory = new DirectoryInfo(appHostDirectory); directory is not null; directory = directory.Parent)
        {
            if (!directory.Exists)
                continue;
            if (Directory.Exists(Path.Combine(directory.FullName, ".git")) || File.Exists(Path.Combine(directory.FullName, ".git"))
                || directory.EnumerateFiles("*.sln").Any() || directory.EnumerateFiles("*.slnx").Any())
                return directory.FullName;
        }
        return Path.GetDirectoryName(appHostDirectory) ?? appHostDirectory;
    }
}
