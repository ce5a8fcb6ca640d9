using System.Diagnostics;
using Platform.Hosting.Infrastructure;
using Platform.Processes;

namespace Platform.Testing.Servers;

/// <summary>
/// A private RabbitMQ node run as our child. Debian's rabbitmq-server script execs erl, which execs
/// beam.smp, when "detached" is set (otherwise it stays as a signal-forwarding shell), so the PID we hold is
/// the VM's. We start the node's epmd ourselves, in the foreground on a private loopback port, so no
/// daemonized epmd outlives us. Every listener (AMQP, epmd, distribution) is on 127.0.0.1.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    private const string UserName = RabbitMqNode.UserName;
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(30);

    private readonly RabbitMqServerOptions _options;
    private readonly RabbitMqNode _node;
    private readonly int _epmdPort;
    private readonly int _distributionPort;
    private ChildProcess? _epmd;
    private ChildProcess? _broker;

    private RabbitMqServer(RabbitMqServerOptions options, RabbitMqNode node, int port)
    {
        _options = options;
        _node = node;
        Port = port;
        _epmdPort = FreePort.Pick();
        _distributionPort = FreePort.Pick();
    }

    public int Port { get; }

    /// <summary>The Erlang VM (beam.smp) running the broker.</summary>
    public int ProcessId => _broker?.Id ?? 0;

    /// <summary>The node's private epmd (Erlang port mapper).</summary>
    public int EpmdProcessId => _epmd?.Id ?? 0;

    public string ConnectionString => _node.ConnectionString("127.0.0.1", Port);
    public string UserNameForClients => UserName;
    public string Password => _node.Password;
    public string NodeName => RabbitMqNode.NodeName;
    public string DataDirectory => _node.Root;
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Broker output so far, newest last (the last 30 lines).</summary>
    public IReadOnlyList<string> RecentOutput => _broker?.Tail.Lines ?? [];

    public static async Task<RabbitMqServer> StartAsync(RabbitMqServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var node = RabbitMqNode.At(options.DataDirectory);
        await node.PrepareAsync(ct);
        var port = options.Port == 0 ? FreePort.Pick() : options.Port;
        var server = new RabbitMqServer(options, node, port);
        await server.StartAgainAsync(ct);
        return server;
    }

    /// <summary>Starts the node again after <see cref="StopAsync"/>: same ports, same data, same credentials.</summary>
    public async Task StartAgainAsync(CancellationToken ct = default)
    {
        if (_broker is { HasExited: false })
            throw new InvalidOperationException($"RabbitMQ on port {Port} is already running (PID {_broker.Id}).");
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await StartEpmdAsync(ct);
            await StartBrokerAsync(ct);
        }
        catch
        {
            await StopAsync(CancellationToken.None);
            throw;
        }
        StartupTime = stopwatch.Elapsed;
    }

    /// <summary>
    /// SIGTERM (the node shuts down cleanly), SIGKILL after a grace period; its epmd at the same time, because a
    /// host that dies during the broker's graceful stop would otherwise leave an epmd running forever (the broker
    /// finishes stopping without it). Waits for both to exit.
    /// </summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        var broker = _broker;
        var epmd = _epmd;
        _broker = null;
        _epmd = null;
        await Task.WhenAll(StopAsync(broker, ShutdownGrace, ct), StopAsync(epmd, TimeSpan.FromSeconds(5), ct));
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static async Task StopAsync(ChildProcess? process, TimeSpan grace, CancellationToken ct)
    {
        if (process is null)
            return;
        await process.StopAsync(grace, UnixSignal.Terminate, ct);
        await process.DisposeAsync();
    }

    private async Task StartEpmdAsync(CancellationToken ct)
    {
        _epmd = ChildProcess.Start(new ChildProcessStartInfo(_node.EpmdPath, RabbitMqNode.EpmdArguments(_epmdPort.ToString()))
        {
            Environment = new Dictionary<string, string?> { ["ERL_EPMD_PORT"] = _epmdPort.ToString(), ["ERL_EPMD_ADDRESS"] = "127.0.0.1" },
            Output = _options.Output is { } output ? line => output($"epmd: {line}") : null,
        });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await FreePort.AcceptsConnectionsAsync(_epmdPort, ct))
        {
            if (_epmd.HasExited)
                throw new InfrastructureException($"epmd exited with code {_epmd.Exited.Result} before listening on port {_epmdPort}.", _epmd.Tail.Lines);
            if (DateTime.UtcNow > deadline)
                throw new InfrastructureException($"epmd did not listen on port {_epmdPort} within 10 s.", _epmd.Tail.Lines);
            await Task.Delay(50, ct);
        }
    }

    private async Task StartBrokerAsync(CancellationToken ct)
    {
        _broker = ChildProcess.Start(new ChildProcessStartInfo(_node.ServerScript, [])
        {
            Environment = _node.BrokerEnvironment(Port.ToString(), _distributionPort.ToString(), _epmdPort.ToString()).ToDictionary(kv => kv.Key, kv => (string?)kv.Value),
            Output = _options.Output,
            WorkingDirectory = _node.Root,
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.StartTimeout);
        try
        {
            while (!await AmqpProbe.AnswersAsync("127.0.0.1", Port, timeout.Token))
            {
                if (_broker.HasExited)
                    throw new InfrastructureException($"RabbitMQ exited with code {_broker.Exited.Result} before accepting AMQP connections on port {Port}.", _broker.Tail.Lines);
                await Task.Delay(250, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new InfrastructureException($"RabbitMQ did not accept AMQP connections on port {Port} within {_options.StartTimeout.TotalSeconds:0} s.", _broker.Tail.Lines);
        }
    }
}
