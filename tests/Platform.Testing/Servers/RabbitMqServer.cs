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

    private readonly RabbitMqServerOptions options;
    private readonly RabbitMqNode node;
    private readonly int epmdPort;
    private readonly int distributionPort;
    private ChildProcess? epmd;
    private ChildProcess? broker;

    private RabbitMqServer(RabbitMqServerOptions options, RabbitMqNode node, int port)
    {
        this.options = options;
        this.node = node;
        Port = port;
        epmdPort = FreePort.Pick();
        distributionPort = FreePort.Pick();
    }

    public int Port { get; }

    /// <summary>The Erlang VM (beam.smp) running the broker.</summary>
    public int ProcessId => this.broker?.Id ?? 0;

    /// <summary>The node's private epmd (Erlang port mapper).</summary>
    public int EpmdProcessId => this.epmd?.Id ?? 0;

    public string ConnectionString => this.node.ConnectionString("127.0.0.1", Port);
    public string UserNameForClients => UserName;
    public string Password => this.node.Password;
    public string NodeName => RabbitMqNode.NodeName;
    public string DataDirectory => this.node.Root;
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Broker output so far, newest last (the last 30 lines).</summary>
    public IReadOnlyList<string> RecentOutput => this.broker?.Tail.Lines ?? [];

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
        if (this.broker is { HasExited: false })
        {
            throw new InvalidOperationException($"RabbitMQ on port {Port} is already running (PID {this.broker.Id}).");
        }

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
        var broker = this.broker;
        var epmd = this.epmd;
        this.broker = null;
        this.epmd = null;
        await Task.WhenAll(StopAsync(broker, ShutdownGrace, ct), StopAsync(epmd, TimeSpan.FromSeconds(5), ct));
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static async Task StopAsync(ChildProcess? process, TimeSpan grace, CancellationToken ct)
    {
        if (process is null)
        {
            return;
        }

        await process.StopAsync(grace, UnixSignal.Terminate, ct);
        await process.DisposeAsync();
    }

    private async Task StartEpmdAsync(CancellationToken ct)
    {
        this.epmd = ChildProcess.Start(new ChildProcessStartInfo(this.node.EpmdPath, RabbitMqNode.EpmdArguments(epmdPort))
        {
            Environment = new Dictionary<string, string?> { ["ERL_EPMD_PORT"] = epmdPort.ToString(), ["ERL_EPMD_ADDRESS"] = "127.0.0.1" },
            Output = this.options.Output is { } output ? line => output($"epmd: {line}") : null,
        });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await ListeningSockets.AcceptsConnectionsAsync(epmdPort, ct))
        {
            if (this.epmd.HasExited)
            {
                throw new InfrastructureException($"epmd exited with code {this.epmd.Exited.Result} before listening on port {epmdPort}.", this.epmd.Tail.Lines);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InfrastructureException($"epmd did not listen on port {epmdPort} within 10 s.", this.epmd.Tail.Lines);
            }

            await Task.Delay(50, ct);
        }
    }

    private async Task StartBrokerAsync(CancellationToken ct)
    {
        this.broker = ChildProcess.Start(new ChildProcessStartInfo(this.node.ServerScript, [])
        {
            Environment = this.node.BrokerEnvironment(Port, distributionPort, epmdPort).ToDictionary(kv => kv.Key, kv => (string?)kv.Value),
            Output = this.options.Output,
            WorkingDirectory = this.node.Root,
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(this.options.StartTimeout);
        try
        {
            while (!await AmqpProbe.AnswersAsync("127.0.0.1", Port, timeout.Token))
            {
                if (this.broker.HasExited)
                {
                    throw new InfrastructureException($"RabbitMQ exited with code {this.broker.Exited.Result} before accepting AMQP connections on port {Port}.", this.broker.Tail.Lines);
                }

                await Task.Delay(250, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new InfrastructureException($"RabbitMQ did not accept AMQP connections on port {Port} within {this.options.StartTimeout.TotalSeconds:0} s.", this.broker.Tail.Lines);
        }
    }
}
