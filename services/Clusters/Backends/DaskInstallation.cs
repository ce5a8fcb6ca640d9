using Platform.Clusters.Model;

namespace Platform.Clusters.Backends;

/// <summary>The local backend needs Dask's command-line programs; without them the service refuses to start and says what to install.</summary>
public static class DaskInstallation
{
    public static void EnsureAvailable(ClusterSettings settings)
    {
        foreach (var executable in new[] { settings.SchedulerExecutable, settings.WorkerExecutable })
        {
            if (!File.Exists(executable))
            {
                throw new InvalidOperationException(
                    $"{executable} is missing: the local cluster backend needs Dask. On Debian/Ubuntu install the package python3-distributed (apt-get install python3-distributed), or set Clusters:SchedulerExecutable and Clusters:WorkerExecutable.");
            }
        }
    }
}
