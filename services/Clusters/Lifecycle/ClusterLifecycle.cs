using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Clusters.Backends;
using Platform.Clusters.Infrastructure;
using Platform.Clusters.Model;
using Platform.ServiceDefaults.Identity;

namespace Platform.Clusters.Lifecycle;

/// <summary>The outcome of a scale or adapt request in dask-gateway's terms: <c>ok</c> false when a limit reduced it, and why.</summary>
public sealed record ScaleOutcome(bool Ok, string? Message);

/// <summary>
/// Carries clusters through <see cref="ClusterStateMachine"/>: creates them (options, quotas), starts and stops
/// them on the backend, and applies what the supervisor observes (scheduler death, failing workers, adaptive
/// targets, idle and lifetime limits). Backend calls for one cluster are serialised by a per-cluster gate.
/// </summary>
public sealed class ClusterLifecycle(
    ClusterStore store,
    IClusterBackend backend,
    ClusterOptions clusterOptions,
    IOptions<ClusterLimits> limitsOptions,
    IOptions<QuotaSettings> quotaOptions,
    IOptions<ClusterSettings> settingsOptions,
    TimeProvider time,
    ILogger<ClusterLifecycle> logger) : IDisposable
{
    private static readonly WorkerResources DefaultResources = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> starts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Queue<int>> adaptiveWindows = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, bool> background = new();
    private readonly SemaphoreSlim startSlots = new(settingsOptions.Value.MaxConcurrentStarts);
    private readonly SemaphoreSlim wake = new(0);
    private readonly ClusterLimits limits = limitsOptions.Value;
    private readonly QuotaSettings quotas = quotaOptions.Value;
    private readonly ClusterSettings settings = settingsOptions.Value;

    /// <summary>Validates the options, checks the creator's quotas and records a PENDING cluster; the start runs in the background.</summary>
    public async Task<ClusterRecord> CreateAsync(PlatformIdentity creator, JsonObject? requestedOptions, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var options = clusterOptions.Validate(requestedOptions);
        var resources = clusterOptions.ToResources(options, DefaultResources);
        var name = Guid.NewGuid().ToString("N");
        var (certificate, key) = ClusterCertificates.Create(name, time);
        var cluster = new ClusterRecord
        {
            Name = name,
            Owner = creator.User,
            Groups = creator.Groups,
            State = ClusterState.Pending,
            OptionsJson = options.ToJsonString(),
            Resources = resources,
            MaxWorkers = limits.MaxWorkersFor(resources),
            TlsCert = certificate,
            TlsKey = key,
            CreatedAt = time.GetUtcNow(),
            Labels = labels,
        };

        var refusal = await store.InQuotaTransactionAsync(
            async transaction =>
            {
                var refused = Quotas.RefuseNewCluster(await QuotaChecksAsync(transaction, cluster.Owner, cluster.Groups, null, cancellationToken));
                if (refused is null)
                {
                    await store.InsertAsync(transaction, cluster, cancellationToken);
                }

                return refused;
            },
            cancellationToken);
        if (refusal is not null)
        {
            throw new QuotaExceededException(refusal);
        }

        Track(StartAsync(cluster));
        return cluster;
    }

    /// <summary>Sets the worker count of a RUNNING cluster (turning adaptive scaling off), within its limits and its owner's quotas.</summary>
    public async Task<ScaleOutcome> ScaleAsync(ClusterRecord cluster, int count, CancellationToken cancellationToken)
    {
        EnsureRunning(cluster);
        string? message = null;
        var target = count;
        if (target > cluster.MaxWorkers)
        {
            message = $"Scale request of {count} workers would exceed resource limit of {cluster.MaxWorkers} workers. Scaling to {cluster.MaxWorkers} instead.";
            target = cluster.MaxWorkers;
        }

        var (applied, quotaMessage) = await RequestWorkersAsync(cluster, target, new AdaptiveScaling(false, 0, 0), $"scaled to {count} workers", cancellationToken);
        if (quotaMessage is not null)
        {
            message = $"Scale request of {count} workers would exceed {quotaMessage}. Scaling to {applied} instead.";
        }

        wake.Release();
        return new ScaleOutcome(message is null, message);
    }

    /// <summary>Turns adaptive scaling on (between <paramref name="minimum"/> and <paramref name="maximum"/>) or off.</summary>
    public async Task<ScaleOutcome> AdaptAsync(ClusterRecord cluster, int? minimum, int? maximum, bool active, CancellationToken cancellationToken)
    {
        EnsureRunning(cluster);
        if (minimum < 0 || maximum < 0)
        {
            throw new InvalidClusterRequestException($"Adapt expects non-negative bounds, got minimum={Show(minimum)}, maximum={Show(maximum)}");
        }

        if (minimum is { } lower && maximum is { } upper && lower > upper)
        {
            throw new InvalidClusterRequestException($"Adapt expects minimum <= maximum, got minimum={lower}, maximum={upper}");
        }

        if (!active)
        {
            await RequestWorkersAsync(cluster, cluster.RequestedWorkers, new AdaptiveScaling(false, 0, 0), "adaptive scaling off", cancellationToken);
            return new ScaleOutcome(true, null);
        }

        var min = minimum ?? 0;
        var max = maximum ?? cluster.MaxWorkers;
        string? message = null;
        if (max > cluster.MaxWorkers || min > cluster.MaxWorkers)
        {
            message = $"Adapt with `maximum={Show(maximum)}, minimum={Show(minimum)}` workers would exceed resource limit of {cluster.MaxWorkers} workers. "
                + $"Using `maximum={Math.Min(max, cluster.MaxWorkers)}, minimum={Math.Min(min, cluster.MaxWorkers)}` instead.";
            max = Math.Min(max, cluster.MaxWorkers);
            min = Math.Min(min, cluster.MaxWorkers);
        }

        adaptiveWindows.TryRemove(cluster.Name, out _);
        var start = Math.Clamp(cluster.RequestedWorkers, min, max);
        var (applied, quotaMessage) = await RequestWorkersAsync(cluster, start, new AdaptiveScaling(true, min, max), $"adaptive scaling between {min} and {max} workers", cancellationToken);
        if (quotaMessage is not null)
        {
            message = $"Adapt would start {start} workers, which exceeds {quotaMessage}. Starting {applied}; adaptive scaling stays within the quota.";
        }

        wake.Release();
        return new ScaleOutcome(message is null, message);
    }

    /// <summary>Moves the cluster to STOPPING (idempotent) and stops its processes in the background, ending in STOPPED.</summary>
    public async Task StopAsync(string name, string reason, CancellationToken cancellationToken)
    {
        var stopping = await store.TransitionAsync(name, ClusterState.Stopping, new TransitionDetails(reason), cancellationToken);
        if (stopping is null)
        {
            return;
        }

        if (starts.TryGetValue(name, out var start))
        {
            try
            {
                await start.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // The start finished meanwhile; the stop below handles what it started.
            }
        }

        Track(FinishStopAsync(name));
    }

    /// <summary>Wakes the supervisor for an immediate round (after scale or adapt).</summary>
    public Task WaitForWakeAsync(TimeSpan timeout, CancellationToken cancellationToken) => wake.WaitAsync(timeout, cancellationToken);

    /// <summary>One supervision round for a RUNNING cluster: observe, fail it if it died, follow adaptive targets, apply idle and lifetime limits.</summary>
    public async Task SuperviseAsync(ClusterRecord cluster, CancellationToken cancellationToken)
    {
        var gate = Gate(cluster.Name);
        if (!await gate.WaitAsync(0, cancellationToken))
        {
            return;
        }

        try
        {
            var observation = await backend.ReconcileAsync(Launch(cluster), cluster.RequestedWorkers, cancellationToken);
            if (observation.SchedulerFailure is { } failure)
            {
                await FailAsync(cluster.Name, failure, cancellationToken);
                return;
            }

            foreach (var workerFailure in observation.NewWorkerFailures)
            {
                logger.LogWarning("Cluster {Cluster}: {Failure}", cluster.Name, workerFailure);
                await store.AppendEventAsync(cluster.Name, "worker-failed", workerFailure, cancellationToken);
            }

            if (observation.ConsecutiveWorkerFailures >= settings.MaxWorkerFailures)
            {
                var schedulerLog = await backend.ReadLogAsync(cluster.Name, "scheduler", settings.FailureLogLines, cancellationToken);
                var last = observation.NewWorkerFailures.Count > 0 ? observation.NewWorkerFailures[^1] : "";
                await FailAsync(
                    cluster.Name,
                    $"Workers keep failing: {observation.ConsecutiveWorkerFailures} exited in a row without one registering. {last}\nLast lines of the scheduler log:\n{schedulerLog}",
                    cancellationToken);
                return;
            }

            if (observation.RegisteredWorkers != cluster.RunningWorkers)
            {
                await store.UpdateRunningWorkersAsync(cluster.Name, observation.RegisteredWorkers, cancellationToken);
            }

            if (cluster.Adaptive.Active)
            {
                await FollowAdaptiveTargetAsync(cluster, observation.AdaptiveTarget, cancellationToken);
            }

            var now = time.GetUtcNow();
            if (limits.IdleTimeoutFor(cluster.Resources) is { } idleTimeout && observation.Idle >= idleTimeout)
            {
                await StopAsync(cluster.Name, $"Stopped after {Seconds(observation.Idle)} s without work (idle timeout {Seconds(idleTimeout)} s).", cancellationToken);
            }
            else if (limits.MaxLifetime is { TotalSeconds: > 0 } lifetime && now - cluster.CreatedAt >= lifetime)
            {
                await StopAsync(cluster.Name, $"Stopped at its maximum lifetime of {Seconds(lifetime)} s.", cancellationToken);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// After a (re)start of the service: adopts running clusters whose scheduler is still alive, fails those whose
    /// scheduler is gone or whose start was interrupted, and finishes interrupted stops.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var cluster in await store.ListActiveAsync(cancellationToken))
        {
            try
            {
                switch (cluster.State)
                {
                    case ClusterState.Pending:
                        await backend.StopAsync(cluster.Name, cancellationToken);
                        await store.TransitionAsync(cluster.Name, ClusterState.Failed, new TransitionDetails { FailureReason = "The service restarted while the cluster was starting." }, cancellationToken);
                        break;
                    case ClusterState.Running when await backend.AdoptAsync(Launch(cluster), cancellationToken):
                        logger.LogInformation("Adopted running cluster {Cluster}", cluster.Name);
                        break;
                    case ClusterState.Running:
                        var log = await backend.ReadLogAsync(cluster.Name, "scheduler", settings.FailureLogLines, cancellationToken);
                        await store.TransitionAsync(
                            cluster.Name,
                            ClusterState.Failed,
                            new TransitionDetails { FailureReason = $"The scheduler was no longer running when the service restarted. Last lines of the scheduler log:\n{log}" },
                            cancellationToken);
                        break;
                    case ClusterState.Stopping:
                        Track(FinishStopAsync(cluster.Name));
                        break;
                    default:
                        break;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not recover cluster {Cluster}", cluster.Name);
            }
        }
    }

    /// <summary>Stops every active cluster (used on shutdown when <c>Clusters:StopClustersOnShutdown</c> is set).</summary>
    public async Task StopAllAsync(string reason, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var cluster in await store.ListActiveAsync(cancellationToken))
            {
                await StopAsync(cluster.Name, reason, cancellationToken);
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning("The database is unavailable at shutdown ({Error}); stopping every cluster's processes without recording it: the next start marks those clusters", e.Message);
        }

        await DrainAsync(cancellationToken);

        // What the database could not name (it may stop first: a local AppHost stops everything at once) stops too.
        await backend.StopAllAsync(cancellationToken);
    }

    /// <summary>Waits for background starts and stops to finish.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (!background.IsEmpty)
        {
            await Task.WhenAll(background.Keys).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Cancels starts in progress (on shutdown); their processes are stopped and the clusters recovered at the next start.</summary>
    public void CancelStarts()
    {
        foreach (var start in starts.Values)
        {
            try
            {
                start.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose()
    {
        startSlots.Dispose();
        wake.Dispose();
        foreach (var gate in gates.Values)
        {
            gate.Dispose();
        }
    }

    private async Task StartAsync(ClusterRecord cluster)
    {
        using var cancellation = new CancellationTokenSource();
        starts[cluster.Name] = cancellation;
        var gate = Gate(cluster.Name);
        try
        {
            await startSlots.WaitAsync(cancellation.Token);
            try
            {
                await gate.WaitAsync(cancellation.Token);
                try
                {
                    var launch = Launch(cluster);
                    var endpoints = await backend.StartAsync(launch, cancellation.Token);
                    var running = await store.TransitionAsync(
                        cluster.Name,
                        ClusterState.Running,
                        new TransitionDetails($"scheduler at {endpoints.SchedulerAddress}") { SchedulerAddress = endpoints.SchedulerAddress, DashboardAddress = endpoints.DashboardAddress },
                        CancellationToken.None);
                    if (running is null)
                    {
                        // Stopped while starting: the stop that changed the state cleans up once we release the gate.
                        logger.LogInformation("Cluster {Cluster} was stopped while starting", cluster.Name);
                    }
                }
                finally
                {
                    gate.Release();
                }
            }
            finally
            {
                startSlots.Release();
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            logger.LogInformation("Start of cluster {Cluster} was cancelled", cluster.Name);
        }
        catch (ClusterStartException e)
        {
            logger.LogWarning("Cluster {Cluster} failed to start: {Reason}", cluster.Name, e.Message);
            await store.TransitionAsync(cluster.Name, ClusterState.Failed, new TransitionDetails { FailureReason = e.Message }, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Cluster {Cluster} could not be started", cluster.Name);
            await backend.StopAsync(cluster.Name, CancellationToken.None);
            await store.TransitionAsync(cluster.Name, ClusterState.Failed, new TransitionDetails { FailureReason = $"Internal error while starting: {e.GetType().Name}: {e.Message}" }, CancellationToken.None);
        }
        finally
        {
            starts.TryRemove(cluster.Name, out _);
        }
    }

    private async Task FinishStopAsync(string name)
    {
        var gate = Gate(name);
        await gate.WaitAsync();
        try
        {
            await backend.StopAsync(name, CancellationToken.None);
            await store.TransitionAsync(name, ClusterState.Stopped, new TransitionDetails("every process has exited"), CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Stopping cluster {Cluster} failed", name);
            await store.TransitionAsync(name, ClusterState.Failed, new TransitionDetails { FailureReason = $"Stopping failed: {e.Message}" }, CancellationToken.None);
        }
        finally
        {
            gate.Release();
            adaptiveWindows.TryRemove(name, out _);
        }
    }

    // Called with the cluster's gate held.
    private async Task FailAsync(string name, string reason, CancellationToken cancellationToken)
    {
        logger.LogWarning("Cluster {Cluster} failed: {Reason}", name, reason);
        await store.TransitionAsync(name, ClusterState.Failed, new TransitionDetails { FailureReason = reason }, cancellationToken);
        await backend.StopAsync(name, CancellationToken.None);
        adaptiveWindows.TryRemove(name, out _);
    }

    // dask-gateway's adaptive rule: scale up at once; scale down only when the whole recent window asked for fewer.
    private async Task FollowAdaptiveTargetAsync(ClusterRecord cluster, int schedulerTarget, CancellationToken cancellationToken)
    {
        var target = Math.Clamp(schedulerTarget, cluster.Adaptive.Minimum, cluster.Adaptive.Maximum);
        var window = adaptiveWindows.GetOrAdd(cluster.Name, _ => new Queue<int>());
        window.Enqueue(target);
        while (window.Count > settings.AdaptiveWindow)
        {
            window.Dequeue();
        }

        var desired = cluster.RequestedWorkers;
        if (target > desired)
        {
            desired = target;
        }
        else if (target < desired && window.Count >= settings.AdaptiveWindow && window.Max() < desired)
        {
            desired = window.Max();
        }

        if (desired != cluster.RequestedWorkers)
        {
            await RequestWorkersAsync(cluster, desired, cluster.Adaptive, $"adaptive: scheduler target {schedulerTarget}", cancellationToken);
        }
    }

    /// <summary>Records a new requested worker count, reduced to what the owner's and groups' quotas allow. Returns the count applied and the quota hit, if any.</summary>
    private async Task<(int Applied, string? Limit)> RequestWorkersAsync(ClusterRecord cluster, int count, AdaptiveScaling adaptive, string message, CancellationToken cancellationToken)
    {
        var result = await store.InQuotaTransactionAsync(
            async transaction =>
            {
                var checks = await QuotaChecksAsync(transaction, cluster.Owner, cluster.Groups, cluster.Name, cancellationToken);
                var (allowed, limit) = Quotas.AllowedWorkers(count, cluster.Resources, checks);
                var updated = await store.SetRequestedWorkersAsync(transaction, cluster.Name, allowed, adaptive, limit is null ? message : $"{message}; reduced to {allowed} by {limit}", cancellationToken);
                return updated is null ? ((int, string?)?)null : (allowed, limit);
            },
            cancellationToken);
        return result ?? throw new ClusterNotRunningException($"Cluster {cluster.Name} is not running");
    }

    private async Task<List<QuotaCheck>> QuotaChecksAsync(NpgsqlTransaction transaction, string owner, IReadOnlyList<string> groups, string? excluding, CancellationToken cancellationToken)
    {
        var checks = new List<QuotaCheck>();
        foreach (var (scope, quota, group) in quotas.ScopesFor(owner, groups))
        {
            var usage = group is null
                ? await ClusterStore.UsageAsync(transaction, owner, null, excluding, cancellationToken)
                : await ClusterStore.UsageAsync(transaction, null, group, excluding, cancellationToken);
            checks.Add(new QuotaCheck(scope, quota, usage));
        }

        return checks;
    }

    private ClusterLaunch Launch(ClusterRecord cluster) => new(
        cluster.Name,
        cluster.TlsCert,
        cluster.TlsKey,
        cluster.Resources,
        cluster.Resources.StartTimeoutSeconds is > 0 ? TimeSpan.FromSeconds(cluster.Resources.StartTimeoutSeconds.Value) : settings.StartTimeout)
    {
        Owner = cluster.Owner,
    };

    private static void EnsureRunning(ClusterRecord cluster)
    {
        if (cluster.State != ClusterState.Running)
        {
            throw new ClusterNotRunningException($"Cluster {cluster.Name} is not running (status {cluster.State.ToWireName()})");
        }
    }

    private SemaphoreSlim Gate(string name) => gates.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));

    private void Track(Task task)
    {
        background[task] = true;
        _ = task.ContinueWith(t => background.TryRemove(t, out _), TaskScheduler.Default);
    }

    private static string Show(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "None";

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
}
