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
    private static readonly string[] ContainerClis = ["docker", "podman"];
    private static readonly Lazy<bool> ContainerRuntimeAnswers = new(AnyContainerRuntimeAnswers);

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

    /// <summary>
    /// A docker or podman CLI whose engine answers <c>info</c>. A client without an engine, as on machines with only the
    /// docker CLI installed, counts as none. Aspire's own detection runs only once the application is built.
    /// </summary>
    private static bool AnyContainerRuntimeAnswers() =>
        ContainerClis.Select(ExecutableSearch.OnPath).OfType<string>().Any(Answers);

    private static bool Answers(string cli)
    {
        // docker info can hang for long when the engine is missing: 15 s without an answer counts as none.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            PreparationCommand.RunAsync(cli, ["info"], null, timeout.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (Exception e) when (e is CommandExecutionException or OperationCanceledException)
        {
            return false;
        }
    }
}
