using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.Orchestration;

/// <summary>How a piece of infrastructure the user did not configure will be run.</summary>
internal enum InfrastructureSource
{
    LocalBinary,
    Container,
}

/// <summary>
/// The second and third places to find infrastructure (the first, a configured connection string, is
/// checked by each resource): a local server binary, then a container runtime whose engine answers.
/// With neither, installs the Debian package when running as root on Debian, and says so; otherwise
/// fails with the exact command to run.
/// </summary>
internal sealed class InfrastructureLocator(ConsoleOutput console)
{
    public async Task<InfrastructureSource> LocateAsync(string what, string debianPackage, Func<bool> isInstalled, CancellationToken ct)
    {
        if (isInstalled())
            return InfrastructureSource.LocalBinary;
        if (await ContainerRuntime.DetectAsync(ct) is { } runtime)
        {
            console.Info($"{what} is not installed locally; running it in a container with {runtime.Name}.");
            return InfrastructureSource.Container;
        }
        if (!PackageInstaller.CanInstall)
            throw new InfrastructureNotInstalledException($"{what} is not installed and no container runtime answers.", PackageInstaller.InstallCommand(debianPackage));

        console.Info($"{what} is not installed and no container runtime answers: installing the Debian package '{debianPackage}' (we are root on Debian).");
        await PackageInstaller.InstallAsync(debianPackage, console.Info, ct);
        if (!isInstalled())
            throw new InfrastructureNotInstalledException($"{what} is still missing after installing '{debianPackage}'.", PackageInstaller.InstallCommand(debianPackage));
        return InfrastructureSource.LocalBinary;
    }

    /// <summary>A host prerequisite of a project (a program it runs itself, like Dask): installed, never containerised.</summary>
    public async Task EnsureInstalledAsync(string what, string debianPackage, Func<bool> isInstalled, CancellationToken ct)
    {
        if (isInstalled())
            return;
        if (!PackageInstaller.CanInstall)
            throw new InfrastructureNotInstalledException($"{what} is not installed.", PackageInstaller.InstallCommand(debianPackage));

        console.Info($"{what} is not installed: installing the Debian package '{debianPackage}' (we are root on Debian).");
        await PackageInstaller.InstallAsync(debianPackage, console.Info, ct);
        if (!isInstalled())
            throw new InfrastructureNotInstalledException($"{what} is still missing after installing '{debianPackage}'.", PackageInstaller.InstallCommand(debianPackage));
    }
}
