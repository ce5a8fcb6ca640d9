using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.Prerequisites;

public static class HostPrerequisiteExtensions
{
    /// <summary>
    /// The resource runs <paramref name="executable"/> itself (Clusters runs Dask): checked before DCP starts anything,
    /// installed from <paramref name="debianPackage"/> with apt-get when we are root on Debian, else the command is printed.
    /// </summary>
    public static IResourceBuilder<T> WithHostPrerequisite<T>(this IResourceBuilder<T> resource, string what, string debianPackage, string executable)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        PackageInstaller.EnsureInstalled(resource.ApplicationBuilder, what, debianPackage, () => File.Exists(executable));
        return resource;
    }

    /// <summary>A variable for local runs only (a folder on this machine, a dev policy); published manifests leave it out.</summary>
    public static IResourceBuilder<T> WithLocalEnvironment<T>(this IResourceBuilder<T> resource, string name, Func<string, string> value)
        where T : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(value);
        return resource.ApplicationBuilder.ExecutionContext.IsRunMode
            ? resource.WithEnvironment(name, value(InfrastructureChoice.DataDirectory(resource.ApplicationBuilder)))
            : resource;
    }
}
