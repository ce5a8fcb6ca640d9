using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Platform.Hosting;
using Platform.Processes;
using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The AppHost run twice on one data folder, as a user does day after day: the first run is stopped with SIGTERM, the
/// second with Ctrl+C (SIGINT to its whole process group), and each stop leaves no process of the run behind.
/// </summary>
public sealed class RestartTests(ITestOutputHelper log) : IDisposable
{
    // Measured here: ~1 min on a quiet machine, 6 min with a load average of 40.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(8);

    // The AppHost returns at once and DCP stops the resources after it (measured: up to ~50 s under load).
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(120);

    private readonly TestDirectory directory = new("platform-e2e-restart");

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task A_cluster_and_a_token_of_the_first_run_are_there_in_the_second_and_SIGTERM_and_CtrlC_each_leave_no_process_behind()
    {
        var data = Path.Combine(directory.Path, "data");
        string cluster;
        string token;
        // As a user's runs: the sealing key and proxy token the first run generates are kept in the AppHost's user
        // secrets, and the second run opens the first run's sealed keys with them. (Every other AppHost a test starts
        // gets its own, so none races this one's write on a fresh machine.)
        await using (var first = AppHostProcess.Start(data, userSecrets: true))
        {
            try
            {
                var clock = Stopwatch.StartNew();
                await first.WaitForOutputAsync(StartupSummary.ReadyLine, StartTimeout);
                log.WriteLine($"First run (empty data folder): all resources healthy after {clock.Elapsed.TotalSeconds:0.0} s");
                using var api = new PublicApi(first.PublicPort);
                token = await CreateTokenAsync(api);
                cluster = await api.CreateClusterAsync("alice");
                await api.WaitForStatusAsync(cluster, "RUNNING");

                clock.Restart();
                var left = await first.StopAsync(UnixSignal.Terminate, toProcessGroup: false, StopTimeout);
                log.WriteLine($"SIGTERM: every process gone after {clock.Elapsed.TotalSeconds:0.0} s");
                Assert.True(left.Count == 0, "After SIGTERM these processes of the run are still running: " + string.Join("; ", left));
            }
            finally
            {
                log.WriteLine(first.Output);
            }
        }

        await using var second = AppHostProcess.Start(data, userSecrets: true);
        try
        {
            var clock = Stopwatch.StartNew();
            await second.WaitForOutputAsync(StartupSummary.ReadyLine, StartTimeout);
            log.WriteLine($"Second run (warm): all resources healthy after {clock.Elapsed.TotalSeconds:0.0} s");
            using var api = new PublicApi(second.PublicPort);

            // The token still signs alice in, and her cluster is still hers (stopped with the first run, as local runs do).
            using (var found = await api.SendAsync(HttpMethod.Get, $"/api/v1/clusters/{cluster}", new AuthenticationHeaderValue("Bearer", token)))
            {
                var body = await found.Content.ReadAsStringAsync();
                Assert.True(found.StatusCode == HttpStatusCode.OK, $"GET the first run's cluster with its token answered {(int)found.StatusCode}: {body}");
                Assert.Equal(cluster, JsonDocument.Parse(body).RootElement.GetProperty("name").GetString());
            }

            clock.Restart();
            var left = await second.StopAsync(UnixSignal.Interrupt, toProcessGroup: true, StopTimeout);
            log.WriteLine($"Ctrl+C: every process gone after {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.True(left.Count == 0, "After Ctrl+C these processes of the run are still running: " + string.Join("; ", left));
        }
        finally
        {
            log.WriteLine(second.Output);
        }
    }

    private static async Task<string> CreateTokenAsync(PublicApi api)
    {
        using var created = await api.SendAsync(HttpMethod.Post, "/api/tokens/", "alice", """{"name": "restart test"}""");
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"Creating a token answered {(int)created.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }
}
