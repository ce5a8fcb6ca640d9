using Aspire.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting;

/// <summary>
/// How a piece of infrastructure is run, decided once while the model is built: a configured connection string
/// wins; then a container where a runtime answers (always when publishing, so the manifest is portable); else the
/// local Debian binaries, installed with apt-get when we are root on Debian, or the exact command is printed.
/// </summary>
internal static class InfrastructureChoice
{
    private static readonly Lazy<bool> ContainerRuntimeAnswers = new(() => ContainerRuntime.DetectAsync().GetAwaiter().GetResult() is not null);

    public static bool IsConfigured(IDistributedApplicationBuilder builder, string name) =>
        !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name));

    public static bool UseContainer(IDistributedApplicationBuilder builder) =>
        builder.ExecutionContext.IsPublishMode || builder.Configuration["Platform:Infrastructure"] == "container"
        || (builder.Configuration["Platform:Infrastructure"] != "local" && ContainerRuntimeAnswers.Value);

    /// <summary>Where local resources keep data between runs: <c>Platform:DataDirectory</c>, else .platform-data beside the AppHost folder.</summary>
    public static string DataDirectory(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(builder.Configuration["Platform:DataDirectory"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(builder.AppHostDirectory, "..", ".platform-data"));

    /// <summary>Installs the Debian package now, before DCP starts anything, when that is safe; fails with the command otherwise.</summary>
    public static void EnsureInstalled(IDistributedApplicationBuilder builder, string what, string debianPackage, Func<bool> isInstalled)
    {
        if (builder.ExecutionContext.IsPublishMode || isInstalled())
        {
            return;
        }

        if (!PackageInstaller.CanInstall)
        {
            throw new InfrastructureNotInstalledException($"{what} is not installed and no container runtime answers.", PackageInstaller.InstallCommand(debianPackage));
        }

        Console.WriteLine($"{what} is not installed: installing the Debian package '{debianPackage}' with apt-get (running as root on Debian).");
        PackageInstaller.InstallAsync(debianPackage, Console.WriteLine).GetAwaiter().GetResult();
        if (!isInstalled())
        {
            throw new InfrastructureNotInstalledException($"{what} is still missing after installing '{debianPackage}'.", PackageInstaller.InstallCommand(debianPackage));
        }
    }
}

/// <summary>A health check that is healthy when <c>probe</c> completes; whatever it throws makes it unhealthy.</summary>
internal sealed class ProbeHealthCheck(Func<CancellationToken, Task<HealthCheckResult>> probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await probe(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }
}
