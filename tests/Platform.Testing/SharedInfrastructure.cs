using Platform.Hosting.Infrastructure;
using Platform.Processes;
using Platform.Testing.Servers;

namespace Platform.Testing;

/// <summary>
/// The one PostgreSQL + RabbitMQ pair of a test process, in a temporary folder. xunit 2 has no end-of-run
/// hook, so they are stopped on ProcessExit; a PID file lets the next run stop them if this process is killed.
/// </summary>
internal sealed class SharedInfrastructure
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "platform-test-infrastructure");
    private static readonly Lazy<Task<SharedInfrastructure>> Started = new(StartAsync);

    private SharedInfrastructure(PostgresServer postgres, RabbitMqServer rabbitMq, TestDirectory directory, PidFile pidFile)
    {
        Postgres = postgres;
        RabbitMq = rabbitMq;
        Directory = directory;
        PidFile = pidFile;
    }

    public static Task<SharedInfrastructure> Instance => Started.Value;

    public PostgresServer Postgres { get; }
    public RabbitMqServer RabbitMq { get; }
    private TestDirectory Directory { get; }
    private PidFile PidFile { get; }

    private static async Task<SharedInfrastructure> StartAsync()
    {
        await StopLeftoversOfKilledRunsAsync();
        var directory = new TestDirectory("infrastructure");
        var pidFile = new PidFile(Path.Combine(Root, $"{Environment.ProcessId}.pids"));
        var postgresTask = StartWithRetriesAsync(attempt => PostgresServer.StartAsync(new PostgresServerOptions(Path.Combine(directory.Path, $"postgres-{attempt}"))));
        var rabbitTask = StartWithRetriesAsync(attempt => RabbitMqServer.StartAsync(new RabbitMqServerOptions(Path.Combine(directory.Path, $"rabbitmq-{attempt}"))));
        try
        {
            await Task.WhenAll(postgresTask, rabbitTask);
        }
        catch
        {
            if (postgresTask.IsCompletedSuccessfully)
            {
                await postgresTask.Result.StopAsync();
            }

            if (rabbitTask.IsCompletedSuccessfully)
            {
                await rabbitTask.Result.StopAsync();
            }

            directory.Dispose();
            throw;
        }
        var shared = new SharedInfrastructure(postgresTask.Result, rabbitTask.Result, directory, pidFile);
        pidFile.Record(shared.Postgres.ProcessId, UnixSignal.Interrupt);
        pidFile.Record(shared.RabbitMq.ProcessId);
        pidFile.Record(shared.RabbitMq.EpmdProcessId);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => shared.Stop();
        return shared;
    }

    /// <summary>
    /// Test suites run in parallel and each picks free ports a moment before its servers bind them, so two can
    /// pick the same one (seen in CI: RabbitMQ exiting with code 1 at start). A fresh attempt picks new ports and
    /// a new data folder; a server that fails three times is a real failure and says why.
    /// </summary>
    private static async Task<T> StartWithRetriesAsync<T>(Func<int, Task<T>> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start(attempt);
            }
            catch (InfrastructureException e) when (attempt < 3)
            {
                Console.Error.WriteLine($"Test infrastructure: attempt {attempt} failed, trying again with new ports: {e}");
            }
        }
    }

    private void Stop()
    {
        // The test host may be killed soon after the run ends, so there is no time for the launchers' graceful
        // stops. A PostgreSQL killed outright leaks its shared memory, though, and its fast shutdown takes a
        // fraction of a second: ask everything to stop, wait briefly, then SIGKILL whatever is left.
        var leaders = new[] { Postgres.ProcessId, RabbitMq.ProcessId, RabbitMq.EpmdProcessId };
        UnixSignal.Send(Postgres.ProcessId, UnixSignal.Interrupt);
        UnixSignal.Send(RabbitMq.ProcessId, UnixSignal.Terminate);
        UnixSignal.Send(RabbitMq.EpmdProcessId, UnixSignal.Terminate);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (leaders.Any(ProcessTable.IsRunning) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        foreach (var leader in leaders)
        {
            UnixSignal.KillGroup(leader);
        }

        PidFile.Delete();
        Directory.Dispose();
    }

    private static async Task StopLeftoversOfKilledRunsAsync()
    {
        System.IO.Directory.CreateDirectory(Root);
        foreach (var file in System.IO.Directory.EnumerateFiles(Root, "*.pids"))
        {
            if (int.TryParse(Path.GetFileNameWithoutExtension(file), out var owner) && owner != Environment.ProcessId && PidFile.LiveOwner(file) is null)
            {
                await PidFile.StopLeftoversAsync(file);
            }
        }
        TestDirectory.DeleteAbandoned();
    }
}
