using System.Diagnostics;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// A private RabbitMQ node run as our child. Debian's rabbitmq-server script execs erl, which execs
/// beam.smp, when "detached" is set (otherwise it stays as a signal-forwarding shell), so the PID we hold is
/// the VM's. We start the node's epmd ourselves, in the foreground on a private loopback port, so no
/// daemonized epmd outlives us. Every listener (AMQP, epmd, distribution) is on 127.0.0.1.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    private const string UserName = "platform";
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(30);

    private readonly RabbitMqServerOptions _options;
    private readonly Layout _layout;
    private readonly string _script;
    private readonly string _epmdPath;
    private readonly string _password;
    private readonly int _epmdPort;
    private readonly int _distributionPort;
    private ChildProcess? _epmd;
    private ChildProcess? _broker;

    private RabbitMqServer(RabbitMqServerOptions options, Layout layout, string script, string epmd, string password, int port)
    {
        _options = options;
        _layout = layout;
        _script = script;
        _epmdPath = epmd;
        _password = password;
        Port = port;
        _epmdPort = FreePort.Pick();
        _distributionPort = FreePort.Pick();
    }

    public int Port { get; }

    /// <summary>The Erlang VM (beam.smp) running the broker.</summary>
    public int ProcessId => _broker?.Id ?? 0;

    /// <summary>The node's private epmd (Erlang port mapper).</summary>
    public int EpmdProcessId => _epmd?.Id ?? 0;

    public string ConnectionString => $"amqp://{UserName}:{_password}@127.0.0.1:{Port}/";
    public string UserNameForClients => UserName;
    public string Password => _password;
    public string NodeName => $"rabbit-{Port}@localhost";
    public string DataDirectory => _layout.Root;
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Broker output so far, newest last (the last 30 lines).</summary>
    public IReadOnlyList<string> RecentOutput => _broker?.Tail.Lines ?? [];

    public static async Task<RabbitMqServer> StartAsync(RabbitMqServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var script = ExecutableSearch.RabbitMqServerScript()
            ?? throw new InfrastructureNotInstalledException("RabbitMQ (rabbitmq-server) was not found.", PackageInstaller.InstallCommand("rabbitmq-server"));
        var epmd = ExecutableSearch.Epmd()
            ?? throw new InfrastructureNotInstalledException("Erlang's epmd was not found.", PackageInstaller.InstallCommand("rabbitmq-server"));

        var layout = new Layout(Path.GetFullPath(options.DataDirectory));
        Directory.CreateDirectory(layout.Root);
        Directory.CreateDirectory(layout.Mnesia);
        Directory.CreateDirectory(layout.Logs);
        Directory.CreateDirectory(layout.Home);
        var password = GeneratedSecret.LoadOrCreate(layout.PasswordFile);
        var port = options.Port == 0 ? FreePort.Pick() : options.Port;

        var server = new RabbitMqServer(options, layout, script, epmd, password, port);
        await server.WriteConfigurationAsync(ct);
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
        _epmd = ChildProcess.Start(new ChildProcessStartInfo(_epmdPath, ["-port", _epmdPort.ToString(), "-address", "127.0.0.1"])
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
        _broker = ChildProcess.Start(new ChildProcessStartInfo(_script, [])
        {
            Environment = BrokerEnvironment(),
            Output = _options.Output,
            WorkingDirectory = _layout.Root,
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

    private Dictionary<string, string?> BrokerEnvironment() => new()
    {
        // Makes Debian's script exec the VM in place instead of staying as a parent shell.
        ["detached"] = "true",
        ["HOME"] = _layout.Home, // the Erlang cookie lives here, not in root's home
        ["RABBITMQ_CONF_ENV_FILE"] = _layout.EnvFile, // so /etc/rabbitmq/rabbitmq-env.conf cannot override us
        ["RABBITMQ_NODENAME"] = NodeName,
        ["RABBITMQ_USE_LONGNAME"] = "false",
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = Port.ToString(),
        ["RABBITMQ_DIST_PORT"] = _distributionPort.ToString(),
        ["RABBITMQ_MNESIA_BASE"] = _layout.Mnesia,
        ["RABBITMQ_LOG_BASE"] = _layout.Logs,
        ["RABBITMQ_CONFIG_FILE"] = _layout.ConfigFile,
        ["RABBITMQ_ADVANCED_CONFIG_FILE"] = _layout.AdvancedConfigFile,
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = _layout.EnabledPluginsFile,
        ["RABBITMQ_PID_FILE"] = _layout.PidFile,
        ["ERL_EPMD_PORT"] = _epmdPort.ToString(),
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        // We already run epmd; the VM must not daemonize another. Distribution listens on loopback only.
        ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}",
    };

    private async Task WriteConfigurationAsync(CancellationToken ct)
    {
        string[] config =
        [
            $"listeners.tcp.default = 127.0.0.1:{Port}",
            // Only applied when the node's database is first created; the password file keeps later runs consistent.
            $"default_user = {UserName}",
            $"default_pass = {_password}",
            "default_vhost = /",
            "default_permissions.configure = .*",
            "default_permissions.read = .*",
            "default_permissions.write = .*",
            "default_user_tags.administrator = true",
            "log.console = true",
            "log.console.level = info",
            "log.console.use_colors = off", // our console colours lines per resource; its escape codes would garble them
            "log.file = false",
        ];
        await File.WriteAllLinesAsync(_layout.ConfigFile, config, ct);
        UnixFile.SetMode(_layout.ConfigFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(_layout.EnabledPluginsFile, "[].\n", ct); // no management plugin: no extra listener
        await File.WriteAllTextAsync(_layout.EnvFile, "", ct);
    }

    private sealed record Layout(string Root)
    {
        public string Mnesia => Path.Combine(Root, "mnesia");
        public string Logs => Path.Combine(Root, "log");
        public string Home => Path.Combine(Root, "home");
        public string ConfigFile => Path.Combine(Root, "rabbitmq.conf");
        public string AdvancedConfigFile => Path.Combine(Root, "advanced.config");
        public string EnabledPluginsFile => Path.Combine(Root, "enabled_plugins");
        public string EnvFile => Path.Combine(Root, "rabbitmq-env.conf");
        public string PidFile => Path.Combine(Root, "rabbitmq.pid");
        public string PasswordFile => Path.Combine(Root, "rabbitmq.password");
    }
}
