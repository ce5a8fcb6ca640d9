using Aspire.Hosting;
using CliWrap.Exceptions;
using Microsoft.Extensions.Configuration;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting;

/// <summary>
/// How a piece of infrastructure is run, decided once while the model is built: a configured connection string
/// wins; then a container where a runtime answers (always when publishing, so the manifest is portable); else the
/// local Debian binaries, installed with apt-get when we are root on Debian, or the exact command is printed.
/// </summary>
internal static class InfrastructureChoice
{
    private static readonly Lazy<bool> ContainerRuntimeAnswers = new(() => AnyContainerRuntimeAnswersAsync().GetAwaiter().GetResult());

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
            throw PackageInstaller.NotInstalled($"{what} is not installed and no container runtime answers.", PackageInstaller.InstallCommand(debianPackage));
        }

        Console.WriteLine($"{what} is not installed: installing the Debian package '{debianPackage}' with apt-get (running as root on Debian).");
        PackageInstaller.Install(debianPackage, Console.WriteLine);
        if (!isInstalled())
        {
            throw PackageInstaller.NotInstalled($"{what} is still missing after installing '{debianPackage}'.", PackageInstaller.InstallCommand(debianPackage));
        }
    }

    /// <summary>
    /// A docker or podman CLI whose engine answers <c>info</c>. A client without an engine, as on machines with only the
    /// docker CLI installed, counts as none. Aspire's own detection runs only once the application is built.
    /// </summary>
    private static async Task<bool> AnyContainerRuntimeAnswersAsync()
    {
        foreach (var name in new[] { "docker", "podman" })
        {
            if (ExecutableSearch.OnPath(name) is not { } cli)
            {
                continue;
            }

            // docker info can hang for long when the engine is missing: 15 s without an answer counts as none.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await PreparationCommand.RunAsync(cli, ["info"], null, timeout.Token);
                return true;
            }
            catch (Exception e) when (e is CommandExecutionException or OperationCanceledException)
            {
                continue;
            }
        }

        return false;
    }
}
