namespace Platform.Hosting.Infrastructure;

/// <summary>
/// A docker or podman CLI whose engine actually answers (`info` succeeds). A client without an engine,
/// as on machines with only the docker CLI installed, counts as no runtime.
/// </summary>
public sealed class ContainerRuntime
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static ContainerRuntime? s_detected;
    private static bool s_probed;

    private ContainerRuntime(string cli) => Cli = cli;

    /// <summary>Full path of the docker/podman CLI.</summary>
    public string Cli { get; }

    public string Name => Path.GetFileName(Cli);

    /// <summary>Probes once per process (docker info can take seconds when the engine is missing).</summary>
    public static async Task<ContainerRuntime?> DetectAsync(CancellationToken ct = default)
    {
        await Gate.WaitAsync(ct);
        try
        {
            if (!s_probed)
            {
                s_detected = await ProbeAsync(ct);
                s_probed = true;
            }
            return s_detected;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<ContainerRuntime?> ProbeAsync(CancellationToken ct)
    {
        foreach (var name in new[] { "docker", "podman" })
        {
            if (ExecutableSearch.OnPath(name) is not { } cli)
            {
                continue;
            }
            // docker info can hang for long when the engine is missing: 15 s without an answer counts as none.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            try
            {
                if ((await ExternalCommand.RunAsync(cli, ["info"], cancellationToken: timeout.Token)).ExitCode == 0)
                {
                    return new ContainerRuntime(cli);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                continue;
            }
        }
        return null;
    }
}
