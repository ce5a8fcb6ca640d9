using System.Diagnostics;
using System.Runtime.InteropServices;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// Runs an application: stops a crashed run's leftovers, checks ports, starts resources in dependency
/// order (independent ones in parallel), prints the status table, and on SIGINT/SIGTERM stops everything
/// it started in reverse order. A resource that fails to start is reported with its last output lines and
/// everything else is stopped; the exit code is then non-zero.
/// </summary>
internal sealed class ProcessSupervisor(DistributedApplicationBuilder builder, ResourceGraph graph, ConsoleOutput console) : IDisposable
{
    private readonly IReadOnlyList<Resource> _resources = [.. graph.Layers.SelectMany(l => l)];
    private readonly CancellationTokenSource _stopping = new();
    private int _signals;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        console.Register(_resources.Select(r => r.Name));
        Directory.CreateDirectory(builder.DataDirectory);
        var pidPath = Path.Combine(builder.DataDirectory, "apphost.pids");
        if (PidFile.LiveOwner(pidPath) is { } owner)
        {
            console.Error($"Another AppHost (PID {owner}) is running with data folder {builder.DataDirectory}. Stop it first, or set Platform:DataDirectory.");
            return 1;
        }
        await PidFile.StopLeftoversAsync(pidPath, console.Info, ct);
        if (!PortsAreFree())
            return 1;

        var pidFile = new PidFile(pidPath);
        pidFile.Claim();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        AppDomain.CurrentDomain.ProcessExit += KillRunning;
        try
        {
            var context = new RunContext(builder, console, pidFile);
            var exitCode = await StartAllAsync(context, linked.Token);
            if (exitCode == 0 && !linked.IsCancellationRequested)
            {
                console.Block(StatusTable.Render(_resources, builder.DataDirectory));
                var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
                console.Info($"All {_resources.Count} resources are healthy, {sinceStart.TotalSeconds:0.0} s after the AppHost started. Press Ctrl+C to stop.");
                WatchForUnexpectedExits(linked.Token);
                await WaitUntilCancelledAsync(linked.Token);
            }
            await StopAllAsync();
            pidFile.Delete();
            return exitCode;
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= KillRunning;
        }
    }

    private bool PortsAreFree()
    {
        var free = true;
        foreach (var resource in _resources.Where(r => r.Port is not null))
        {
            var port = resource.Port!.Value;
            if (FreePort.IsFree(port))
                continue;
            var holder = ListeningSockets.DescribeHolder(port);
            console.Error($"Port {port} for '{resource.Name}' is already in use{(holder is null ? "" : $" by {holder}")}. "
                + $"Stop it, or move our ports with Platform:PortBase=<offset> or Platform:Ports:{resource.Name}=<port>.");
            free = false;
        }
        return free;
    }

    private async Task<int> StartAllAsync(RunContext context, CancellationToken stopping)
    {
        using var starting = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var tasks = new Dictionary<Resource, Task>();
        foreach (var resource in _resources)
            tasks[resource] = StartOneAsync(resource, [.. resource.StartsAfter.Select(d => tasks[d])], context, starting);
        try
        {
            await Task.WhenAll(tasks.Values);
            return 0;
        }
        catch when (stopping.IsCancellationRequested)
        {
            console.Info("Start-up interrupted.");
            return 0;
        }
        catch
        {
            ReportFailures(tasks);
            return 1;
        }
    }

    private async Task StartOneAsync(Resource resource, Task[] dependencies, RunContext context, CancellationTokenSource starting)
    {
        try
        {
            await Task.WhenAll(dependencies);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The dependency reports its own failure; this resource simply never starts.
            throw new OperationCanceledException($"'{resource.Name}' not started: a resource it needs failed.", e);
        }
        starting.Token.ThrowIfCancellationRequested();
        resource.State = ResourceState.Starting;
        try
        {
            await resource.StartAsync(context, starting.Token);
            resource.State = ResourceState.Running;
            console.Info($"{resource.Name} is ready{(resource.Note is null ? "" : $" ({resource.Note})")}.");
        }
        catch (Exception e)
        {
            resource.State = ResourceState.Failed;
            if (e is not OperationCanceledException)
                starting.Cancel(); // one failure stops the whole start-up; the others are stopped below
            throw;
        }
    }

    private void ReportFailures(Dictionary<Resource, Task> tasks)
    {
        foreach (var (resource, task) in tasks.Where(t => t.Value.IsFaulted))
        {
            var error = task.Exception!.GetBaseException();
            if (error is OperationCanceledException)
                continue;
            console.Error($"'{resource.Name}' failed to start: {error.Message}");
            var output = error is InfrastructureException { RecentOutput.Count: > 0 } infrastructure ? infrastructure.RecentOutput : resource.RecentOutput;
            if (output.Count > 0)
            {
                console.Error($"Last {output.Count} lines of '{resource.Name}':");
                foreach (var line in output)
                    console.ResourceLine(resource.Name, line);
            }
        }
        console.Error("Stopping everything that was started.");
    }

    private async Task StopAllAsync()
    {
        foreach (var layer in graph.StopLayers)
        {
            await Task.WhenAll(layer.Where(r => r.State is ResourceState.Starting or ResourceState.Running or ResourceState.Failed).Select(async resource =>
            {
                var pids = resource.ProcessIds;
                resource.State = ResourceState.Stopping;
                try
                {
                    await resource.StopAsync(CancellationToken.None);
                }
                catch (Exception e)
                {
                    console.Error($"Stopping '{resource.Name}' failed ({e.Message}); killing it.");
                    resource.Kill();
                }
                resource.State = ResourceState.Stopped;
                if (pids.Count == 0)
                    return; // a database, a folder store, or configured infrastructure: nothing of ours to stop
                var survivors = pids.Where(ProcessTable.IsRunning).ToList();
                console.Info(survivors.Count == 0
                    ? $"{resource.Name} stopped (PID {string.Join(", ", pids)})."
                    : $"{resource.Name}: PID {string.Join(", ", survivors)} still running after stop.");
            }));
        }
    }

    private void WatchForUnexpectedExits(CancellationToken stopping)
    {
        foreach (var project in _resources.OfType<ProjectResource>())
        {
            _ = project.Exited?.ContinueWith(exit =>
            {
                if (stopping.IsCancellationRequested || project.State != ResourceState.Running)
                    return;
                project.State = ResourceState.Failed;
                console.Error($"'{project.Name}' exited unexpectedly with code {exit.Result}; the other resources keep running.");
            }, TaskScheduler.Default);
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // we exit on our own once everything is stopped
        if (Interlocked.Increment(ref _signals) == 1)
        {
            console.Info($"{context.Signal} received: stopping every resource (press Ctrl+C again to kill them at once).");
            _stopping.Cancel();
        }
        else
        {
            console.Error("Killing every resource now.");
            KillRunning(null, EventArgs.Empty);
        }
    }

    /// <summary>The AppHost is exiting without a graceful stop: SIGKILL whatever still runs.</summary>
    private void KillRunning(object? sender, EventArgs e)
    {
        foreach (var resource in _resources.Where(r => r.State is ResourceState.Starting or ResourceState.Running or ResourceState.Failed or ResourceState.Stopping))
            resource.Kill();
    }

    private static async Task WaitUntilCancelledAsync(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = token.Register(() => cancelled.TrySetResult());
        await cancelled.Task;
    }

    public void Dispose() => _stopping.Dispose();
}
