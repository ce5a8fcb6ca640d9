using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Platform.Clusters.Model;

namespace Platform.Clusters.Backends;

/// <summary>
/// Runs each cluster as local processes: a TLS <c>dask-scheduler</c> on 127.0.0.1 with our preload, and
/// <c>dask-worker</c>s using the cluster's certificate, as their owner's account (<see cref="ClusterSandbox"/>).
/// Per cluster a folder under <c>Clusters:DataDirectory</c> holds the process record (so a restarted service can
/// adopt or clean up), the logs and the cluster's home.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class LocalProcessBackend : IClusterBackend
{
    public const string PreloadResourceName = "scheduler_preload.py";
    private const string RecordFile = "processes.json";
    private const string ReadyFile = "scheduler.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly ConcurrentDictionary<string, LocalCluster> clusters = new(StringComparer.Ordinal);
    private readonly ClusterSettings settings;
    private readonly SchedulerApi schedulerApi;
    private readonly TimeProvider time;
    private readonly ILogger<LocalProcessBackend> logger;
    private readonly string root;
    private readonly string preloadPath;
    private readonly ClusterSandbox sandbox;

    public LocalProcessBackend(
        IOptions<ClusterSettings> options,
        ClusterIsolation isolation,
        ClusterAccounts accounts,
        SchedulerApi schedulerApi,
        TimeProvider time,
        ILogger<LocalProcessBackend> logger)
    {
        settings = options.Value;
        this.schedulerApi = schedulerApi;
        this.time = time;
        this.logger = logger;
        DaskInstallation.EnsureAvailable(settings);
        root = Path.GetFullPath(settings.DataDirectory);
        Directory.CreateDirectory(Path.Combine(root, "clusters"));
        preloadPath = Path.Combine(root, PreloadResourceName);
        WritePreload(preloadPath);
        sandbox = new ClusterSandbox(isolation, accounts, root, logger);
    }

    public ClusterIsolation Isolation => sandbox.Isolation;

    public async Task<ClusterEndpoints> StartAsync(ClusterLaunch launch, CancellationToken cancellationToken)
    {
        var folder = ClusterFolder(launch.Name);
        var account = await sandbox.PrepareAsync(launch.Owner, folder, launch.TlsCert, launch.TlsKey, preloadPath, cancellationToken);
        var readyFile = Path.Combine(folder, ReadyFile);
        File.Delete(readyFile);

        var token = RandomNumberGenerator.GetHexString(48, lowercase: true);
        var environment = new Dictionary<string, string>(launch.Resources.Environment, StringComparer.Ordinal)
        {
            ["PLATFORM_CLUSTER_API_TOKEN"] = token,
        };
        var scheduler = sandbox.Spawn(sandbox.Launch(
            folder,
            account,
            settings.SchedulerExecutable,
            [
                "--host", "127.0.0.1", "--port", "0", "--protocol", "tls",
                "--dashboard-address", "127.0.0.1:0",
                "--tls-ca-file", ClusterSandbox.CertificateFile,
                "--tls-cert", ClusterSandbox.CertificateFile,
                "--tls-key", ClusterSandbox.KeyFile,
                "--preload", ClusterSandbox.PreloadFile,
            ],
            "scheduler",
            environment,
            readyFile));
        var cluster = new LocalCluster(launch.Name, folder, token, scheduler, account);
        clusters[launch.Name] = cluster;
        Save(cluster);

        var deadline = time.GetUtcNow() + launch.StartTimeout;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (TryReadReady(readyFile) is { } ready && ready.ProcessId == scheduler.ProcessId)
                {
                    cluster.ApiPort = ready.ApiPort;
                    cluster.SchedulerAddress = ready.SchedulerAddress;
                    cluster.DashboardAddress = ready.DashboardPort is { } port ? $"http://127.0.0.1:{port}" : "";
                    Save(cluster);
                    return new ClusterEndpoints(cluster.SchedulerAddress, cluster.DashboardAddress);
                }

                if (scheduler.HasExited)
                {
                    var code = scheduler.ExitCode is { } c ? $" with code {c}" : "";
                    throw new ClusterStartException($"The scheduler exited during start-up{code}.{await LogTailAsync(cluster, "scheduler")}");
                }

                if (time.GetUtcNow() > deadline)
                {
                    throw new ClusterStartException(
                        $"The scheduler did not start within {launch.StartTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.{await LogTailAsync(cluster, "scheduler")}");
                }

                await Task.Delay(50, cancellationToken);
            }
        }
        catch (Exception)
        {
            await StopAsync(launch.Name, CancellationToken.None);
            throw;
        }
    }

    public async Task<ClusterObservation> ReconcileAsync(ClusterLaunch launch, int workers, CancellationToken cancellationToken)
    {
        if (!clusters.TryGetValue(launch.Name, out var cluster))
        {
            return new ClusterObservation { SchedulerFailure = "The cluster's processes are not managed by this service instance." };
        }

        if (cluster.Scheduler.HasExited)
        {
            var code = cluster.Scheduler.ExitCode is { } c ? $" with code {c}" : "";
            return new ClusterObservation { SchedulerFailure = $"The scheduler exited unexpectedly{code}.{await LogTailAsync(cluster, "scheduler")}" };
        }

        SchedulerStatus? status;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            status = await schedulerApi.GetStatusAsync(cluster.ApiPort, cluster.Token, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // A busy scheduler can be slow to answer; its process is alive, so look again next round.
            logger.LogDebug("Scheduler of {Cluster} did not answer its status ({Error})", launch.Name, e.Message);
            status = null;
        }

        var failures = new List<string>();
        var registered = status?.Workers.Select(w => w.Name).ToHashSet(StringComparer.Ordinal) ?? [];
        var changed = false;
        foreach (var worker in cluster.Workers.ToList())
        {
            if (worker.Process.HasExited)
            {
                cluster.Workers.Remove(worker);
                sandbox.Forget([worker.Process]);
                changed = true;
                if (worker.RetiringSince is null)
                {
                    cluster.ConsecutiveWorkerFailures++;
                    var code = worker.Process.ExitCode is { } c ? $" with code {c}" : "";
                    failures.Add($"{worker.Name} exited unexpectedly{code}.{await LogTailAsync(cluster, worker.Name, 5)}");
                }

                continue;
            }

            if (status is not null && registered.Contains(worker.Name) && !worker.Registered)
            {
                worker.Registered = true;
                cluster.ConsecutiveWorkerFailures = 0;
            }

            // Retired workers close themselves; one that lingers is stopped like any other process.
            if (worker.RetiringSince is { } since && time.GetUtcNow() - since > settings.StopGracePeriod)
            {
                await worker.Process.StopAsync(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }

        if (status is not null)
        {
            var active = cluster.Workers.Where(w => w.RetiringSince is null).ToList();
            if (active.Count < workers && cluster.ConsecutiveWorkerFailures < settings.MaxWorkerFailures)
            {
                for (var i = active.Count; i < workers; i++)
                {
                    cluster.Workers.Add(SpawnWorker(cluster, launch.Resources));
                }

                changed = true;
            }
            else if (active.Count > workers)
            {
                await RetireAsync(cluster, active, active.Count - workers, cancellationToken);
                changed = true;
            }
        }

        if (changed)
        {
            Save(cluster);
        }

        return new ClusterObservation
        {
            RegisteredWorkers = cluster.Workers.Count(w => w.RetiringSince is null && registered.Contains(w.Name)),
            AdaptiveTarget = status?.AdaptiveTarget ?? 0,
            Idle = TimeSpan.FromSeconds(status?.IdleSeconds ?? 0),
            ConsecutiveWorkerFailures = cluster.ConsecutiveWorkerFailures,
            NewWorkerFailures = failures,
        };
    }

    public async Task StopAsync(string name, CancellationToken cancellationToken)
    {
        var folder = ClusterFolder(name);
        List<ClusterProcess> processes;
        ClusterAccount? account;
        if (clusters.TryRemove(name, out var cluster))
        {
            processes = [cluster.Scheduler, .. cluster.Workers.Select(w => w.Process)];
            account = cluster.Account;
        }
        else
        {
            // Not started by this instance (a restart happened): stop what the record proves is still ours.
            var record = Load(folder);
            processes = record is null
                ? []
                : [.. new[] { record.Scheduler }.Concat(record.Workers.Select(w => w.Process)).Select(ClusterProcess.Adopt).OfType<ClusterProcess>()];
            account = sandbox.AccountOf(folder);
        }

        await Task.WhenAll(processes.Select(p => p.StopAsync(settings.StopGracePeriod, cancellationToken)));
        sandbox.Forget(processes);
        if (!Directory.Exists(folder))
        {
            // Never prepared (refused, or the service stopped before the start began): nothing else to clean up.
            return;
        }

        // Logs stay readable after the stop; the key, the API token and the cluster's files do not outlive it.
        File.Delete(Path.Combine(folder, RecordFile));
        File.Delete(Path.Combine(folder, ReadyFile));
        // Where clusters started before isolation kept their key (in the folder, now root's); harmless otherwise.
        File.Delete(Path.Combine(folder, "tls.key"));
        if (account is not null)
        {
            sandbox.KillStrays(account, RecordedProcessIds());
        }

        await sandbox.RemoveHomeAsync(folder, account);
    }

    public async Task<bool> AdoptAsync(ClusterLaunch launch, CancellationToken cancellationToken)
    {
        var folder = ClusterFolder(launch.Name);
        var record = Load(folder);
        var scheduler = record is null ? null : ClusterProcess.Adopt(record.Scheduler);
        if (record is null || scheduler is null || record.ApiPort == 0)
        {
            await StopAsync(launch.Name, cancellationToken);
            return false;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await schedulerApi.GetStatusAsync(record.ApiPort, record.Token, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Scheduler of {Cluster} runs but does not answer ({Error}); not adopting it", launch.Name, e.Message);
            await StopAsync(launch.Name, cancellationToken);
            return false;
        }

        sandbox.Adopt(scheduler);
        var cluster = new LocalCluster(launch.Name, folder, record.Token, scheduler, sandbox.AccountOf(folder))
        {
            ApiPort = record.ApiPort,
            SchedulerAddress = record.SchedulerAddress,
            DashboardAddress = record.DashboardAddress,
            NextWorker = record.NextWorker,
        };
        foreach (var worker in record.Workers)
        {
            if (ClusterProcess.Adopt(worker.Process) is { } process)
            {
                sandbox.Adopt(process);
                cluster.Workers.Add(new LocalWorker(worker.Name, process) { Registered = true, RetiringSince = worker.Retiring ? time.GetUtcNow() : null });
            }
        }

        clusters[launch.Name] = cluster;
        Save(cluster);
        return true;
    }

    public IReadOnlyList<ClusterProcessInfo> Describe(string name)
    {
        if (clusters.TryGetValue(name, out var cluster))
        {
            return
            [
                new ClusterProcessInfo("scheduler", "scheduler", cluster.Scheduler.ProcessId, !cluster.Scheduler.HasExited),
                .. cluster.Workers.Select(w => new ClusterProcessInfo("worker", w.Name, w.Process.ProcessId, !w.Process.HasExited)),
            ];
        }

        return [];
    }

    public Task ForgetAsync(string name, CancellationToken cancellationToken)
    {
        var folder = ClusterFolder(name);
        if (!clusters.ContainsKey(name) && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        return Task.CompletedTask;
    }

    public IReadOnlyList<string> LogNames(string name)
    {
        var logs = Path.Combine(ClusterFolder(name), "logs");
        return Directory.Exists(logs)
            ? [.. Directory.EnumerateFiles(logs, "*.log").Select(Path.GetFileNameWithoutExtension).OfType<string>().OrderBy(n => n == "scheduler" ? 0 : 1).ThenBy(n => n.Length).ThenBy(n => n, StringComparer.Ordinal)]
            : [];
    }

    public async Task<string?> ReadLogAsync(string name, string log, int lines, CancellationToken cancellationToken)
    {
        if (!LogName().IsMatch(log) || !ClusterName().IsMatch(name))
        {
            return null;
        }

        var path = Path.Combine(ClusterFolder(name), "logs", log + ".log");
        if (!File.Exists(path))
        {
            return null;
        }

        // The process may still be appending; share the file rather than lock it.
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var tail = new Queue<string>(lines);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (tail.Count == lines)
            {
                tail.Dequeue();
            }

            tail.Enqueue(line);
        }

        return string.Join('\n', tail);
    }

    private LocalWorker SpawnWorker(LocalCluster cluster, WorkerResources resources)
    {
        var name = $"worker-{++cluster.NextWorker}";
        var process = sandbox.Spawn(sandbox.Launch(
            cluster.Folder,
            cluster.Account,
            settings.WorkerExecutable,
            [
                cluster.SchedulerAddress,
                "--name", name,
                "--no-nanny",
                "--nthreads", resources.Threads.ToString(CultureInfo.InvariantCulture),
                "--memory-limit", resources.MemoryBytes.ToString(CultureInfo.InvariantCulture),
                "--host", "127.0.0.1",
                "--no-dashboard",
                "--death-timeout", "60",
                "--local-directory", ClusterSandbox.TemporaryDirectory(cluster.Folder, cluster.Account),
                "--tls-ca-file", ClusterSandbox.CertificateFile,
                "--tls-cert", ClusterSandbox.CertificateFile,
                "--tls-key", ClusterSandbox.KeyFile,
            ],
            name,
            resources.Environment));
        logger.LogInformation("Started {Worker} of {Cluster} (pid {Pid})", name, cluster.Name, process.ProcessId);
        return new LocalWorker(name, process);
    }

    private async Task RetireAsync(LocalCluster cluster, List<LocalWorker> active, int count, CancellationToken cancellationToken)
    {
        // Workers still starting hold no data: stop them first; then the newest registered ones.
        var victims = active.OrderBy(w => w.Registered).ThenByDescending(w => w.Number).Take(count).ToList();
        var now = time.GetUtcNow();
        foreach (var victim in victims)
        {
            victim.RetiringSince = now;
        }

        var starting = victims.Where(w => !w.Registered).ToList();
        await Task.WhenAll(starting.Select(w => w.Process.StopAsync(TimeSpan.FromSeconds(2), cancellationToken)));
        var registered = victims.Where(w => w.Registered).Select(w => w.Name).ToList();
        if (registered.Count > 0)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(60));
                var retired = await schedulerApi.RetireAsync(cluster.ApiPort, cluster.Token, registered, timeout.Token);
                logger.LogInformation("Retired {Workers} of {Cluster}", string.Join(", ", retired), cluster.Name);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The grace period below still stops them; retiring only saves their data first.
                logger.LogWarning("Could not retire {Workers} of {Cluster} gracefully ({Error})", string.Join(", ", registered), cluster.Name, e.Message);
            }
        }
    }

    private async Task<string> LogTailAsync(LocalCluster cluster, string log, int? lines = null)
    {
        var text = await ReadLogAsync(cluster.Name, log, lines ?? settings.FailureLogLines, CancellationToken.None);
        return string.IsNullOrWhiteSpace(text) ? $" Its log ({log}) is empty." : $" Last lines of the {log} log:\n{text}";
    }

    private string ClusterFolder(string name) =>
        ClusterName().IsMatch(name) ? Path.Combine(root, "clusters", name) : throw new ArgumentException($"Invalid cluster name '{name}'.", nameof(name));

    public Task StopAllAsync(CancellationToken cancellationToken)
    {
        var recorded = Directory.Exists(Path.Combine(root, "clusters"))
            ? Directory.EnumerateDirectories(Path.Combine(root, "clusters")).Where(f => File.Exists(Path.Combine(f, RecordFile))).Select(Path.GetFileName).OfType<string>().Where(n => ClusterName().IsMatch(n))
            : [];
        return Task.WhenAll(clusters.Keys.Union(recorded, StringComparer.Ordinal).Select(name => StopAsync(name, cancellationToken)));
    }

    /// <summary>Every process named in a record on disk: clusters of an earlier run not adopted yet are among them.</summary>
    private List<int> RecordedProcessIds()
    {
        var ids = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories(Path.Combine(root, "clusters")))
        {
            if (Load(folder) is { } record)
            {
                ids.Add(record.Scheduler.ProcessId);
                ids.AddRange(record.Workers.Select(w => w.Process.ProcessId));
            }
        }

        return ids;
    }

    private static SchedulerReadyFile? TryReadReady(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<SchedulerReadyFile>(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private static void Save(LocalCluster cluster)
    {
        var record = new LocalClusterRecord(
            cluster.Token,
            cluster.ApiPort,
            cluster.SchedulerAddress,
            cluster.DashboardAddress,
            cluster.Scheduler.Identity,
            [.. cluster.Workers.Select(w => new LocalWorkerRecord(w.Name, w.Process.Identity, w.RetiringSince is not null))],
            cluster.NextWorker);
        var path = Path.Combine(cluster.Folder, RecordFile);
        WritePrivateFile(path + ".tmp", JsonSerializer.Serialize(record, Json));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static LocalClusterRecord? Load(string folder)
    {
        try
        {
            var path = Path.Combine(folder, RecordFile);
            return File.Exists(path) ? JsonSerializer.Deserialize<LocalClusterRecord>(File.ReadAllText(path), Json) : null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private static void WritePrivateFile(string path, string content)
    {
        using (File.Create(path, 1, FileOptions.None))
        {
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.WriteAllText(path, content);
    }

    private static void WritePreload(string path)
    {
        using var resource = typeof(LocalProcessBackend).Assembly.GetManifestResourceStream(PreloadResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {PreloadResourceName} is missing.");
        using var file = File.Create(path + ".tmp");
        resource.CopyTo(file);
        file.Close();
        File.Move(path + ".tmp", path, overwrite: true);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex ClusterName();

    [GeneratedRegex("^(scheduler|worker-[0-9]+)$")]
    private static partial Regex LogName();

    private sealed class LocalCluster(string name, string folder, string token, ClusterProcess scheduler, ClusterAccount? account)
    {
        public ClusterAccount? Account { get; } = account;
        public string Name { get; } = name;
        public string Folder { get; } = folder;
        public string Token { get; } = token;
        public ClusterProcess Scheduler { get; } = scheduler;
        public int ApiPort { get; set; }
        public string SchedulerAddress { get; set; } = "";
        public string DashboardAddress { get; set; } = "";
        public List<LocalWorker> Workers { get; } = [];
        public int NextWorker { get; set; }
        public int ConsecutiveWorkerFailures { get; set; }
    }

    private sealed class LocalWorker(string name, ClusterProcess process)
    {
        public string Name { get; } = name;
        public int Number { get; } = int.Parse(name[(name.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
        public ClusterProcess Process { get; } = process;
        public bool Registered { get; set; }
        public DateTimeOffset? RetiringSince { get; set; }
    }

    private sealed record LocalClusterRecord(
        string Token,
        int ApiPort,
        string SchedulerAddress,
        string DashboardAddress,
        ProcessIdentity Scheduler,
        IReadOnlyList<LocalWorkerRecord> Workers,
        int NextWorker);

    private sealed record LocalWorkerRecord(string Name, ProcessIdentity Process, bool Retiring);
}
