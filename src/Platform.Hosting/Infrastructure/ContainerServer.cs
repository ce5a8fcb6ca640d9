namespace Platform.Hosting.Infrastructure;

/// <summary>An image to run with one published port (on 127.0.0.1 only), its environment and volumes.</summary>
public sealed record ContainerSpec(string Name, string Image, int HostPort, int ContainerPort)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<(string HostPath, string ContainerPath)> Volumes { get; init; } = [];
}

/// <summary>
/// A server in a container, for machines with a container engine but without the server installed.
/// The CLI runs attached as our child (`run --rm`, signals proxied to the container), so stopping it
/// stops the container; `rm -f` by name cleans up whatever a crash left.
/// </summary>
public sealed class ContainerServer : IAsyncDisposable
{
    private readonly ContainerRuntime _runtime;
    private readonly ContainerSpec _spec;
    private readonly ChildProcess _client;

    private ContainerServer(ContainerRuntime runtime, ContainerSpec spec, ChildProcess client)
    {
        _runtime = runtime;
        _spec = spec;
        _client = client;
    }

    /// <summary>The attached container CLI process.</summary>
    public int ProcessId => _client.Id;

    public IReadOnlyList<string> RecentOutput => _client.Tail.Lines;

    public static async Task<ContainerServer> StartAsync(
        ContainerRuntime runtime, ContainerSpec spec, Func<CancellationToken, Task<bool>> isReady, TimeSpan timeout, Action<string>? output, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(isReady);
        await RemoveAsync(runtime, spec.Name, ct);
        List<string> arguments = ["run", "--rm", "--name", spec.Name, "-p", $"127.0.0.1:{spec.HostPort}:{spec.ContainerPort}"];
        foreach (var (key, value) in spec.Environment)
            arguments.AddRange(["-e", $"{key}={value}"]);
        foreach (var (hostPath, containerPath) in spec.Volumes)
        {
            Directory.CreateDirectory(hostPath);
            arguments.AddRange(["-v", $"{hostPath}:{containerPath}"]);
        }
        arguments.Add(spec.Image);

        var server = new ContainerServer(runtime, spec, ChildProcess.Start(new ChildProcessStartInfo(runtime.Cli, arguments) { Output = output }));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            while (!await isReady(deadline.Token))
            {
                if (server._client.HasExited)
                    throw new InfrastructureException($"{runtime.Name} run {spec.Image} exited with code {server._client.Exited.Result}.", server.RecentOutput);
                await Task.Delay(250, deadline.Token);
            }
            return server;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await server.StopAsync(CancellationToken.None);
            throw new InfrastructureException($"{spec.Image} in {runtime.Name} was not ready on port {spec.HostPort} within {timeout.TotalSeconds:0} s.", server.RecentOutput);
        }
        catch
        {
            await server.StopAsync(CancellationToken.None);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken ct = default)
    {
        await _client.StopAsync(TimeSpan.FromSeconds(30), UnixSignal.Terminate, ct);
        await RemoveAsync(_runtime, _spec.Name, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _client.DisposeAsync();
    }

    private static async Task RemoveAsync(ContainerRuntime runtime, string name, CancellationToken ct)
    {
        await using var remove = ChildProcess.Start(new ChildProcessStartInfo(runtime.Cli, ["rm", "-f", name]));
        await remove.WaitForExitAsync(TimeSpan.FromSeconds(30), ct);
    }
}
