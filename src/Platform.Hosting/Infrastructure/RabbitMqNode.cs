namespace Platform.Hosting.Infrastructure;

/// <summary>
/// A private RabbitMQ node on disk, made ready to start: config, password generated once, and the environment that
/// keeps every listener on 127.0.0.1 and the node off the system's files. Debian's rabbitmq-server script execs erl,
/// which execs beam.smp, when "detached" is set, so the PID a supervisor holds is the VM's. The node's epmd runs as
/// its own process (never the daemon the VM would spawn, which would outlive the run).
/// </summary>
public sealed class RabbitMqNode
{
    public const string UserName = "platform";

    /// <summary>Constant, so the node finds its own database (named after the node) again on the next run.</summary>
    public const string NodeName = "rabbit@localhost";

    private RabbitMqNode(string root, string script, string epmd)
    {
        Root = root;
        ServerScript = script;
        EpmdPath = epmd;
        Directory.CreateDirectory(Root);
        Password = GeneratedSecret.LoadOrCreate(Path.Combine(Root, "rabbitmq.password"));
    }

    public string Root { get; }
    public string ServerScript { get; }
    public string EpmdPath { get; }
    public string Password { get; }
    private string ConfigFile => Path.Combine(Root, "rabbitmq.conf");
    private string EnabledPluginsFile => Path.Combine(Root, "enabled_plugins");
    private string EnvFile => Path.Combine(Root, "rabbitmq-env.conf");

    /// <summary>Creates the folder and password; fails with the install command when RabbitMQ or epmd is missing.</summary>
    public static RabbitMqNode At(string root)
    {
        var script = ExecutableSearch.RabbitMqServerScript()
            ?? throw PackageInstaller.NotInstalled("RabbitMQ (rabbitmq-server) was not found.", PackageInstaller.InstallCommand("rabbitmq-server"));
        var epmd = ExecutableSearch.OnPath("epmd")
            ?? throw PackageInstaller.NotInstalled("Erlang's epmd was not found.", PackageInstaller.InstallCommand("rabbitmq-server"));
        return new RabbitMqNode(Path.GetFullPath(root), script, epmd);
    }

    public string ConnectionString(string host, int port) => $"amqp://{UserName}:{Password}@{host}:{port}/";

    public async Task PrepareAsync(CancellationToken ct)
    {
        foreach (var folder in new[] { "mnesia", "log", "home" })
        {
            Directory.CreateDirectory(Path.Combine(Root, folder));
        }

        string[] config =
        [
            // Only applied when the node's database is first created; the password file keeps later runs consistent.
            $"default_user = {UserName}",
            $"default_pass = {Password}",
            "default_vhost = /",
            "default_permissions.configure = .*",
            "default_permissions.read = .*",
            "default_permissions.write = .*",
            "default_user_tags.administrator = true",
            "log.console = true",
            "log.console.level = info",
            "log.console.use_colors = off", // console logs are shown as text; escape codes would garble them
            "log.file = false",
        ];
        await File.WriteAllLinesAsync(ConfigFile, config, ct);
        UnixFile.SetMode(ConfigFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(EnabledPluginsFile, "[].\n", ct); // no management plugin: no extra listener
        await File.WriteAllTextAsync(EnvFile, "", ct);
    }

    /// <summary>epmd in the foreground on a private loopback port.</summary>
    public static IReadOnlyList<string> EpmdArguments(int port) => ["-port", $"{port}", "-address", "127.0.0.1"];

    /// <summary>The broker's environment: every listener on loopback, every file in the node's folder.</summary>
    public IReadOnlyDictionary<string, string> BrokerEnvironment(int amqpPort, int distributionPort, int epmdPort) => new Dictionary<string, string>
    {
        // Makes Debian's script exec the VM in place instead of staying as a parent shell.
        ["detached"] = "true",
        ["HOME"] = Path.Combine(Root, "home"), // the Erlang cookie lives here, not in root's home
        ["RABBITMQ_CONF_ENV_FILE"] = EnvFile, // so /etc/rabbitmq/rabbitmq-env.conf cannot override us
        ["RABBITMQ_NODENAME"] = NodeName,
        ["RABBITMQ_USE_LONGNAME"] = "false",
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = $"{amqpPort}",
        ["RABBITMQ_DIST_PORT"] = $"{distributionPort}",
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(Root, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = Path.Combine(Root, "log"),
        ["RABBITMQ_CONFIG_FILE"] = ConfigFile,
        ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(Root, "advanced.config"),
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = EnabledPluginsFile,
        ["RABBITMQ_PID_FILE"] = Path.Combine(Root, "rabbitmq.pid"),
        ["ERL_EPMD_PORT"] = $"{epmdPort}",
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        // epmd runs on its own; the VM must not daemonize another. Distribution listens on loopback only.
        ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}",
    };
}
