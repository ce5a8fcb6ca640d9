using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.ObjectStore;

/// <summary>The plugin packages' object store: for local runs s3rver (a real S3 server on node), run by DCP as an executable.</summary>
public static class ObjectStoreResourceExtensions
{
    private const string Bucket = "platform";

    /// <summary>
    /// A configured <c>ConnectionStrings:&lt;name&gt;</c> wins, and a published application is given one (an S3
    /// endpoint of the cluster's); otherwise s3rver on the data folder, installed first when it is missing.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddObjectStore(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (InfrastructureChoice.IsConfigured(builder, name) || builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddConnectionString(name);
        }

        var command = EnsureInstalled(builder);
        var root = Path.Combine(InfrastructureChoice.DataDirectory(builder), name);
        Directory.CreateDirectory(root);
        var server = new LocalServerResource(name, command[0], root, "http", FreePort.Pick(), endpoint => ReferenceExpression.Create(
            $"Endpoint=http://{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)};AccessKey={S3rver.AccessKey};SecretKey={S3rver.SecretKey};Bucket={Bucket}"));
        return builder.AddLocalServer(server, [.. command.Skip(1), .. S3rver.Arguments(Path.Combine(root, "s3rver"), server.Port, Bucket)])
            // s3rver answers an unsigned listing of the bucket (200) once it serves it.
            .WithHttpHealthCheck($"/{Bucket}", endpointName: server.Scheme);
    }

    /// <summary>
    /// The command that runs s3rver. Without one on this machine it is installed into the checkout's tools/s3rver first
    /// (before DCP starts anything), as Debian packages are installed with apt-get, and the console says so.
    /// </summary>
    private static IReadOnlyList<string> EnsureInstalled(IDistributedApplicationBuilder builder)
    {
        if (S3rver.Locate() is { } command)
        {
            return command;
        }

        var packageFolder = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "tools", "s3rver"));
        PackageInstaller.EnsureInstalled(builder, "npm (it installs s3rver)", "npm", () => ExecutableSearch.OnPath("npm") is not null);
        Console.WriteLine($"No S3 server (s3rver) is installed: installing it into {packageFolder} (npm ci).");
        S3rver.InstallAsync(packageFolder, Console.WriteLine).GetAwaiter().GetResult();
        return S3rver.Locate() ?? throw PackageInstaller.NotInstalled($"s3rver is still missing after npm ci in {packageFolder}.", S3rver.InstallCommand);
    }
}
