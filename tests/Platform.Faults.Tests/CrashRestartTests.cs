using System.Diagnostics;
using System.Net;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Platform.Processes;
using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.Faults.Tests;

/// <summary>
/// SIGKILL of each service, of RabbitMQ and of PostgreSQL while two users run 100 cluster operations through the
/// public port: the AppHost's restart policy brings each back, and afterwards every cluster converges to what its
/// user asked, every cluster event reached the Proxy (routes) and a webhook endpoint, and no Dask process is orphaned.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class CrashRestartTests(ITestOutputHelper log) : IDisposable
{
    private static readonly string[] Victims = ["auth", "clusters", "webhooks", "plugins", "proxy", "messaging", "postgres"];
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Convergence = TimeSpan.FromSeconds(30);

    private static readonly string[] UserNames = ["fault-ann", "fault-ben"];

    private readonly TestDirectory directory = new("faults-crash");

    public void Dispose()
    {
        // A failed run still leaves no Dask process behind (a passing one has none left to kill).
        DaskProcesses.Sweep(UserNames);
        directory.Dispose();
    }

    [Fact]
    public async Task Each_service_RabbitMQ_and_PostgreSQL_killed_during_100_cluster_operations_is_restarted_and_nothing_is_lost()
    {
        var userNames = UserNames;
        DaskProcesses.SweepNowAndOnExit(userNames);
        using var receiver = new WebhookReceiver();
        // The receiver is on loopback, which webhooks refuse unless allowed. Each user keeps 6 clusters running, and a
        // create whose answer a fault swallowed is sent again (a duplicate the user stops later): above the default
        // quota of 5 active clusters, which would refuse operations for a reason that is not the fault's.
        var system = await RunningAppHost.StartAsync(
            Path.Combine(directory.Path, "data"),
            [("webhooks", "Webhooks__AllowedHosts", "127.0.0.1"), ("clusters", "Clusters__Quotas__User__MaxClusters", "20")]);
        await using (system)
        {
            var users = userNames.Select(n => new GatewayUser(system.PublicAddress, n, AppHostProcess.SimplePassword)).ToList();
            foreach (var user in users)
            {
                await user.SendAsync(HttpMethod.Post, "/api/webhooks/endpoints", $$"""{"url": "{{receiver.Url}}", "description": "faults"}""", s => s == HttpStatusCode.Created);
            }

            // Faults: one kill every 13 operations; operations continue while the victim is down and restarting.
            var workload = new ClusterWorkload(users, concurrency: 5);
            int[] gates = [6, 19, 32, 45, 58, 71, 84];
            workload.AllowedThrough = gates[0];
            var clock = Stopwatch.StartNew();
            var running = workload.RunAsync();
            var restarts = new List<(string Resource, int AtOperation, TimeSpan Restart)>();
            for (var i = 0; i < Victims.Length; i++)
            {
                while (workload.Started < gates[i] && !running.IsCompleted)
                {
                    await Task.Delay(100);
                }

                var at = workload.Started;
                var restart = system.KillAndAwaitRestartAsync(Victims[i], RestartTimeout);
                workload.AllowedThrough = i + 1 < gates.Length ? gates[i + 1] : int.MaxValue;
                restarts.Add((Victims[i], at, await restart));
                log.WriteLine($"{Victims[i]} killed at operation {at}: healthy again after {restarts[^1].Restart.TotalSeconds:0.0} s");
            }

            workload.AllowedThrough = int.MaxValue;
            await running.WaitAsync(TimeSpan.FromMinutes(5));
            log.WriteLine($"{workload.Started} operations in {clock.Elapsed.TotalSeconds:0} s ({workload.Replaced} clusters replaced after failing in a fault; {users.Sum(u => u.Retries)} requests retried)");

            // A create whose answer a fault swallowed may have made a cluster the user never heard of: they stop it.
            var duplicates = 0;
            foreach (var user in users)
            {
                foreach (var name in (await user.ListAllAsync()).Keys.Where(n => !workload.Clusters.ContainsKey(n)))
                {
                    duplicates++;
                    await user.StopClusterAsync(name);
                }
            }

            log.WriteLine($"{duplicates} clusters created by retried requests");
            var wanted = new Dictionary<string, (GatewayUser User, Wanted Wanted)>(workload.Clusters, StringComparer.Ordinal);
            foreach (var user in users)
            {
                foreach (var name in (await user.ListAllAsync()).Keys.Where(n => !wanted.ContainsKey(n)))
                {
                    wanted[name] = (user, Wanted.Stopped);
                }
            }

            clock.Restart();
            await Eventually.GetAsync(() => ProblemsOrErrorAsync(system, users, wanted), p => p.Length == 0, Convergence, "every cluster to converge");
            log.WriteLine($"Converged {clock.Elapsed.TotalSeconds:0.0} s after the last operation: {wanted.Count(w => w.Value.Wanted == Wanted.Running)} running, {wanted.Count(w => w.Value.Wanted == Wanted.Stopped)} stopped, {wanted.Count(w => w.Value.Wanted == Wanted.Abandoned)} failed");

            clock.Restart();
            await Eventually.GetAsync(() => Task.FromResult(MissingEvents(receiver, wanted)), m => m.Length == 0, Convergence, "every cluster event at the webhook endpoint");
            log.WriteLine($"Webhooks: {receiver.Distinct} distinct events ({receiver.Deliveries} deliveries), complete {clock.Elapsed.TotalSeconds:0.0} s after convergence");

            // What the user stops from the dashboard stays stopped.
            var result = await system.Commands.ExecuteCommandAsync("plugins", KnownResourceCommands.StopCommand);
            Assert.True(result.Success, result.Message);
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.NotEqual(KnownResourceStates.Running, system.Snapshot("plugins").State?.Text);
        }

        // Ctrl+C (here: disposing the AppHost) stops every cluster with the Clusters service (StopClustersOnShutdown).
        await Eventually.TrueAsync(() => DaskProcesses.Of(userNames).Count == 0, TimeSpan.FromSeconds(60), "no Dask process of the test's users after the AppHost stopped");
    }

    private static async Task<string> ProblemsOrErrorAsync(RunningAppHost system, IReadOnlyList<GatewayUser> users, IReadOnlyDictionary<string, (GatewayUser User, Wanted Wanted)> wanted)
    {
        try
        {
            return await ProblemsAsync(system, users, wanted);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or TaskCanceledException)
        {
            return e.Message;
        }
    }

    /// <summary>What keeps the system from the wanted end state, one line per problem; empty once converged.</summary>
    private static async Task<string> ProblemsAsync(RunningAppHost system, IReadOnlyList<GatewayUser> users, IReadOnlyDictionary<string, (GatewayUser User, Wanted Wanted)> wanted)
    {
        var problems = new StringBuilder();
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            foreach (var (name, json) in await user.ListAllAsync())
            {
                states[name] = json.GetProperty("status").GetString()!;
            }
        }

        var expected = new HashSet<int>();
        var publicPort = system.PublicAddress.Port;
        foreach (var (name, (user, want)) in wanted)
        {
            var state = states.GetValueOrDefault(name, "LOST");
            var asked = want switch { Wanted.Running => "RUNNING", Wanted.Stopped => "STOPPED", _ => "FAILED" };
            if (state != asked)
            {
                problems.AppendLine($"{name}: {state}, asked {asked}");
                continue;
            }

            var routed = await user.DashboardRoutedAsync(name);
            if (want == Wanted.Running)
            {
                var recorded = DaskProcesses.RecordedFor(system.ClustersDataDirectory, name).Where(ProcessTable.IsRunning).ToList();
                expected.UnionWith(recorded);
                if (recorded.Count != 2)
                {
                    problems.AppendLine($"{name}: {recorded.Count} live Dask processes recorded, want a scheduler and 1 worker");
                }

                if (!routed)
                {
                    problems.AppendLine($"{name}: no dashboard route at the Proxy");
                }

                if (!await SchedulerProbe.ReachableAsync(publicPort, name, await user.GetClusterAsync(name)))
                {
                    problems.AppendLine($"{name}: scheduler not reachable by TLS SNI through the public port");
                }
            }
            else if (routed)
            {
                problems.AppendLine($"{name}: the Proxy still routes to it");
            }
        }

        foreach (var (pid, commandLine) in DaskProcesses.Of(users.Select(u => u.Name)).Where(p => !expected.Contains(p.Key)))
        {
            problems.AppendLine($"orphan PID {pid}: {commandLine}");
        }

        return problems.ToString();
    }

    private static string MissingEvents(WebhookReceiver receiver, IReadOnlyDictionary<string, (GatewayUser User, Wanted Wanted)> wanted)
    {
        var missing = new StringBuilder();
        foreach (var (name, (_, want)) in wanted)
        {
            string[] types = want switch
            {
                Wanted.Running => ["cluster.created", "cluster.running"],
                Wanted.Stopped => ["cluster.created", "cluster.stopped"],
                _ => ["cluster.created", "cluster.failed"],
            };
            foreach (var type in types.Where(t => !receiver.Has(t, name)))
            {
                missing.AppendLine($"{name}: {type}");
            }
        }

        return missing.ToString();
    }
}
