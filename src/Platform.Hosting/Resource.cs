using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>Where a resource is in its life; the status table shows it.</summary>
public enum ResourceState
{
    NotStarted,
    Starting,
    Running,
    Failed,
    Stopping,
    Stopped,
}

/// <summary>Something the AppHost runs or connects to: a server, a database, a project.</summary>
public abstract class Resource
{
    protected Resource(string name)
    {
        if (string.IsNullOrEmpty(name) || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
            throw new ArgumentException($"Resource name '{name}' must be lower-case letters, digits, '-' and '_': it becomes part of environment variable names and folders.", nameof(name));
        Name = name;
    }

    public string Name { get; }

    public ResourceState State { get; internal set; }

    /// <summary>Resources that must be healthy before this one starts (WaitFor).</summary>
    public IReadOnlyList<Resource> WaitsFor => WaitList;

    /// <summary>Everything that must have started first: what it waits for plus what it takes a connection string from.</summary>
    public virtual IEnumerable<Resource> StartsAfter => WaitList;

    /// <summary>For the status table: URL or host:port, with secrets masked.</summary>
    public abstract string DisplayEndpoint { get; }

    public virtual IReadOnlyList<int> ProcessIds => [];

    public virtual string? DataDirectory => null;

    /// <summary>The port this resource takes on 127.0.0.1 when we run it; null when it has none or is external.</summary>
    public virtual int? Port => null;

    public string? Note { get; internal set; }

    public virtual IReadOnlyList<string> RecentOutput => [];

    internal List<Resource> WaitList { get; } = [];

    /// <summary>Starts the resource and returns once it is healthy.</summary>
    internal abstract Task StartAsync(RunContext context, CancellationToken ct);

    internal abstract Task StopAsync(CancellationToken ct);

    /// <summary>Last resort when the AppHost itself is exiting: SIGKILL what this resource runs, synchronously.</summary>
    internal virtual void Kill() { }

    public override string ToString() => Name;
}

/// <summary>A resource other resources connect to with a connection string (ConnectionStrings__&lt;name&gt;).</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }

    /// <summary>Known once the resource has started, or from configuration when it is external.</summary>
    string? ConnectionString { get; }
}
