using System.Diagnostics;
using Platform.Hosting;
using Platform.Processes;
using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.Faults.Tests;

/// <summary>
/// SIGKILL of the AppHost itself (DCP, which watches it, left to do what it does), then the next run on the same
/// data: it starts healthy whatever the first run left (processes, PostgreSQL's pid file, RabbitMQ's node), and each
/// cluster of the first run ends in a state its user can act on, never lost or stuck: adopted (RUNNING, its scheduler
/// reachable), STOPPED, or FAILED saying its scheduler was gone when the service restarted. DCP stops every process
/// of the killed run at once, PostgreSQL among the first, so the Clusters service cannot record the stops it makes;
/// the next run's reconciliation tells the user. No Dask process is left without a cluster.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class AppHostCrashTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Convergence = TimeSpan.FromSeconds(30);

    private const string UserName = "fault-cat";

    private readonly TestDirectory directory = new("faults-apphost");

    public void Dispose()
    {
        // A failed run still leaves no Dask process behind (a passing one has none left to kill).
        DaskProcesses.Sweep([UserName]);
        directory.Dispose();
    }

    [Fact]
    public async Task After_the_AppHost_is_killed_the_next_run_cleans_up_and_tells_the_user_what_became_of_every_cluster()
    {
        DaskProcesses.SweepNowAndOnExit([UserName]);
        var data = Path.Combine(directory.Path, "data");
        List<string> clusters = [];
        IReadOnlyList<int> firstRun;
        await using (var first = AppHostProcess.Start(data))
        {
            try
            {
                await first.WaitForOutputAsync(StartupSummary.ReadyLine, StartTimeout);
                using var user = new GatewayUser(new Uri($"http://127.0.0.1:{first.PublicPort}"), UserName, AppHostProcess.SimplePassword);
                for (var i = 0; i < 2; i++)
                {
                    clusters.Add(await user.CreateClusterAsync());
                }

                Assert.True(await user.ScaleAsync(clusters[0], 1));
                foreach (var cluster in clusters)
                {
                    Assert.Equal("RUNNING", await user.WaitWhilePendingAsync(cluster));
                }

                var dask = DaskProcesses.Of([UserName]);
                firstRun = [.. first.RunningProcessIds().Where(p => !dask.ContainsKey(p))];
                UnixSignal.Send(first.ProcessId, UnixSignal.Kill);
                await first.Exited.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch
            {
                log.WriteLine(first.Output);
                throw;
            }
        }

        var clock = Stopwatch.StartNew();
        await using var second = AppHostProcess.Start(data);
        try
        {
            await second.WaitForOutputAsync(StartupSummary.ReadyLine, StartTimeout);
            log.WriteLine($"The next run was healthy {clock.Elapsed.TotalSeconds:0} s after the kill");
            var left = firstRun.Where(ProcessTable.IsRunning).Select(p => $"{p} {string.Join(' ', ProcessTable.CommandLine(p))}").ToList();
            Assert.True(left.Count == 0, "Processes of the killed run still run:\n" + string.Join('\n', left));

            using var user = new GatewayUser(new Uri($"http://127.0.0.1:{second.PublicPort}"), UserName, AppHostProcess.SimplePassword);
            var outcome = await Eventually.GetAsync(
                async () =>
                {
                    var states = await user.ListAllAsync();
                    var problems = new List<string>();
                    var expected = new HashSet<int>();
                    foreach (var name in clusters)
                    {
                        var state = states.TryGetValue(name, out var json) ? json.GetProperty("status").GetString() : "LOST";
                        if (state == "RUNNING")
                        {
                            expected.UnionWith(DaskProcesses.RecordedFor(Path.Combine(data, "clusters"), name));
                            if (!await SchedulerProbe.ReachableAsync(second.PublicPort, name, await user.GetClusterAsync(name)))
                            {
                                problems.Add($"{name}: RUNNING but its scheduler is not reachable");
                            }
                        }
                        else if (state == "FAILED")
                        {
                            var reason = (await user.DetailsAsync(name)).GetProperty("failureReason").GetString() ?? "";
                            if (!reason.StartsWith("The scheduler was no longer running when the service restarted", StringComparison.Ordinal))
                            {
                                problems.Add($"{name}: FAILED for another reason: {reason}");
                            }
                        }
                        else if (state != "STOPPED")
                        {
                            problems.Add($"{name}: {state}");
                        }
                    }

                    problems.AddRange(DaskProcesses.Of([UserName]).Where(p => !expected.Contains(p.Key)).Select(p => $"orphan PID {p.Key}: {p.Value}"));
                    return (States: string.Join(", ", clusters.Select(c => $"{c} {(states.TryGetValue(c, out var j) ? j.GetProperty("status").GetString() : "LOST")}")), Problems: string.Join('\n', problems));
                },
                o => o.Problems.Length == 0, Convergence, "the first run's clusters to be adopted or cleanly stopped");
            log.WriteLine($"After the AppHost was killed: {outcome.States}");

            UnixSignal.Send(second.ProcessId, UnixSignal.Interrupt);
            Assert.Equal(0, await second.Exited.WaitAsync(TimeSpan.FromSeconds(120)));
            await Eventually.TrueAsync(() => DaskProcesses.Of([UserName]).Count == 0, TimeSpan.FromSeconds(60), "no Dask process after the next run stopped");
        }
        finally
        {
            log.WriteLine(second.Output);
        }
    }
}
