using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Platform.Clusters.Backends;
using Platform.Clusters.Tests.Support;
using Platform.Testing;

namespace Platform.Clusters.Tests.Integration;

/// <summary>
/// Issue 13, point 1: code a user runs on their cluster (here through the real Python Dask client) must not reach
/// another user's cluster or the platform's secrets. The tests run as root, as the service must to isolate.
/// </summary>
[Collection(ClustersServiceCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class ClusterIsolationTests(ClustersServiceFixture service)
{
    private const string SecretVariable = "PLATFORM_ISOLATION_TEST_SECRET";

    [Fact]
    public async Task A_task_cannot_read_another_clusters_key_or_the_platforms_secrets_nor_connect_to_another_users_scheduler()
    {
        Assert.True(Environment.IsPrivilegedProcess, "the isolation tests need root, as the service does");
        Environment.SetEnvironmentVariable(SecretVariable, "the service's own secret");
        // Not under /tmp or /var/tmp (where a clone, and so the test's own folder, may live), which the clusters'
        // private /tmp would hide anyway: here only the accounts and file modes stand between a task and the files.
        var root = Directory.CreateDirectory("/var/lib/platform-isolation-tests").FullName;
        foreach (var stale in Directory.EnumerateDirectories(root, "isolation-data-*"))
        {
            // Left by a failed run of this test, unless that run is still going (another clone's tests on this machine):
            // deleting a live run's folder fails its clusters.
            var owner = Path.GetFileName(stale).Split('-') is [_, _, var pid, _] && int.TryParse(pid, out var id) ? id : 0;
            if (owner == 0 || !Directory.Exists($"/proc/{owner}"))
            {
                Directory.Delete(stale, recursive: true);
            }
        }

        var dataPath = Path.Combine(root, $"isolation-data-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataPath);
        var settings = service.Settings;
        settings["Clusters:DataDirectory"] = Path.Combine(dataPath, "clusters");
        await using var host = ClustersServiceHost.Start(service.Infrastructure, await service.Infrastructure.CreateDatabaseAsync("clustersdb_isolation"), settings);
        using var http = host.CreateClient();
        var alice = new ClustersClient(http, service.Identity, "isolation-alice");
        var bob = new ClustersClient(http, service.Identity, "isolation-bob");
        var aliceName = await alice.CreateAsync();
        var bobName = await bob.CreateAsync();
        var aliceCluster = await alice.WaitForStatusAsync(aliceName, "RUNNING");
        await bob.WaitForStatusAsync(bobName, "RUNNING");
        await alice.ScaleAsync(aliceName, 1);
        var details = await alice.WaitForDetailsAsync(aliceName, d => ClustersClient.RunningWorkers(d) == 1, "one worker");
        var aliceScheduler = details.GetProperty("schedulerAddress").GetString()!;
        var bobScheduler = (await bob.DetailsAsync(bobName)).GetProperty("schedulerAddress").GetString()!;

        // What a task would go after: Bob's key and process record, the platform's secrets beside the clusters.
        var platformSecret = Path.Combine(dataPath, "platform-secret");
        await File.WriteAllTextAsync(platformSecret, "proxy token");
        File.SetUnixFileMode(platformSecret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var clustersRoot = Path.Combine(dataPath, "clusters");
        var bobFolder = Path.Combine(clustersRoot, "clusters", bobName);
        string[] targets =
        [
            Path.Combine(bobFolder, "home", "tls.key"),
            Path.Combine(bobFolder, "processes.json"),
            Path.Combine(bobFolder, "logs", "scheduler.log"),
            platformSecret,
            $"/proc/{Environment.ProcessId}/environ",
            "/etc/shadow",
        ];
        var probe = $$"""
            import json, os, socket, ssl

            def probe():
                result = {"uid": os.getuid(), "groups": os.getgroups(), "cwd": os.getcwd(), "secret_variable": {{Quote(SecretVariable)}} in os.environ}
                status = dict(line.split(":", 1) for line in open("/proc/self/status"))
                result["cap_eff"] = status["CapEff"].strip()
                result["no_new_privs"] = status["NoNewPrivs"].strip()
                for path in {{JsonSerializer.Serialize(targets)}} + [{{Quote(clustersRoot)}}, {{Quote(Path.Combine(clustersRoot, "clusters"))}}]:
                    try:
                        if os.path.isdir(path):
                            os.listdir(path)
                        else:
                            open(path, "rb").read()
                        result[path] = "read"
                    except OSError as e:
                        result[path] = type(e).__name__
                host, port = {{Quote(bobScheduler)}}[len("tls://"):].rsplit(":", 1)
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                context.load_cert_chain("tls.crt", "tls.key")
                try:
                    with context.wrap_socket(socket.create_connection((host, int(port)), timeout=10)) as tls:
                        tls.sendall(b"hello")
                        result["bob_scheduler"] = "connected" if tls.recv(1) else "closed"
                except (OSError, ssl.SSLError) as e:
                    result["bob_scheduler"] = type(e).__name__
                with open("/tmp/made-by-task", "w") as f:
                    f.write("x")
                return result

            print(json.dumps({"worker": client.submit(probe, pure=False).result(), "scheduler": client.run_on_scheduler(probe)}))
            """;

        var output = JsonDocument.Parse(await DaskClient.RunAsync(aliceCluster, aliceScheduler, probe)).RootElement;

        var account = ClusterAccounts.Find(ClusterAccounts.AccountName("isolation-alice"));
        Assert.NotNull(account);
        Assert.NotEqual(0, account.UserId);
        foreach (var side in new[] { "worker", "scheduler" })
        {
            var result = output.GetProperty(side);
            Assert.Equal(account.UserId, result.GetProperty("uid").GetInt32());
            Assert.Empty(result.GetProperty("groups").EnumerateArray());
            Assert.Equal("0000000000000000", result.GetProperty("cap_eff").GetString());
            Assert.Equal("1", result.GetProperty("no_new_privs").GetString());
            Assert.False(result.GetProperty("secret_variable").GetBoolean());
            foreach (var target in targets.Append(clustersRoot).Append(Path.Combine(clustersRoot, "clusters")))
            {
                Assert.True(result.GetProperty(target).GetString() == "PermissionError", $"{side} read {target}: {result.GetProperty(target)}");
            }

            Assert.NotEqual("connected", result.GetProperty("bob_scheduler").GetString());
        }

        // The task's /tmp is the cluster's own folder: the file is there, owned by the account, and not in the real /tmp.
        var aliceHome = Path.Combine(clustersRoot, "clusters", aliceName, "home");
        Assert.Equal($"{account.UserId} 700", await StatAsync(aliceHome));
        Assert.Equal(account.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture), (await StatAsync(Path.Combine(aliceHome, "made-by-task"))).Split(' ')[0]);
        Assert.False(File.Exists("/tmp/made-by-task"));

        await alice.StopAsync(aliceName);
        await bob.StopAsync(bobName);
        await alice.WaitForStatusAsync(aliceName, "STOPPED");
        Assert.False(Directory.Exists(aliceHome), "the cluster's home (key, task files) outlived the cluster");
        Assert.True(File.Exists(Path.Combine(clustersRoot, "clusters", aliceName, "logs", "scheduler.log")));
        await host.DisposeAsync();
        Directory.Delete(dataPath, recursive: true);
    }

    [Fact]
    public async Task Stopping_a_cluster_leaves_no_process_of_its_account_even_one_that_left_its_process_group()
    {
        var user = service.As("isolation-orphans");
        var name = await user.CreateAsync();
        var cluster = await user.WaitForStatusAsync(name, "RUNNING");
        await user.ScaleAsync(name, 1);
        var details = await user.WaitForDetailsAsync(name, d => ClustersClient.RunningWorkers(d) == 1, "one worker");

        var pids = (await DaskClient.RunAsync(cluster, details.GetProperty("schedulerAddress").GetString()!, """
            import subprocess
            def escape():
                return subprocess.Popen(["/bin/sleep", "600"], start_new_session=True).pid
            print(client.submit(escape, pure=False).result(), client.run_on_scheduler(escape))
            """)).Split(' ').Select(int.Parse).ToList();
        var account = ClusterAccounts.Find(ClusterAccounts.AccountName("isolation-orphans"))!;
        Assert.All(pids, pid => Assert.NotNull(ClusterProcess.ReadIdentity(pid)));

        await user.StopAsync(name);
        await user.WaitForStatusAsync(name, "STOPPED");

        await Eventually.TrueAsync(() => pids.All(pid => ClusterProcess.ReadIdentity(pid) is null), TimeSpan.FromSeconds(10), "the escaped processes to be gone");
        Assert.Empty(await ProcessesOfAsync(account.UserId));
    }

    [Fact]
    public async Task A_service_that_cannot_switch_accounts_refuses_clusters_unless_the_unsafe_backend_was_chosen()
    {
        using var data = new TestDirectory("clusters-refused");
        var connectionString = await service.Infrastructure.CreateDatabaseAsync("clustersdb_refused");
        var settings = service.Settings;
        settings["Clusters:DataDirectory"] = data.Path;
        await using var host = new ClustersServiceHost(service.Infrastructure, connectionString, settings);
        await using var notRoot = host.WithWebHostBuilder(builder =>
            builder.ConfigureTestServices(services => services.AddSingleton(ClusterIsolation.Decide(isRoot: false, ClusterIsolation.LocalBackend))));
        var user = new ClustersClient(notRoot.CreateClient(), service.Identity, "isolation-refused");

        var name = await user.CreateAsync();

        var failed = await user.WaitForStatusAsync(name, "FAILED", TimeSpan.FromSeconds(30));
        Assert.Equal("FAILED", failed.GetProperty("status").GetString());
        var reason = (await user.DetailsAsync(name)).GetProperty("failureReason").GetString()!;
        Assert.Contains("not running as root", reason, StringComparison.Ordinal);
        Assert.Contains("Clusters:Backend=unsafe-local", reason, StringComparison.Ordinal);
        Assert.Empty((await user.DetailsAsync(name)).GetProperty("processes").EnumerateArray());
        Assert.False(Directory.Exists(Path.Combine(data.Path, "clusters", name)));
    }

    [Fact]
    public async Task The_unsafe_backend_runs_clusters_as_the_services_own_account()
    {
        using var data = new TestDirectory("clusters-unsafe");
        var connectionString = await service.Infrastructure.CreateDatabaseAsync("clustersdb_unsafe");
        var settings = service.Settings;
        settings["Clusters:DataDirectory"] = data.Path;
        settings["Clusters:Backend"] = "unsafe-local";
        await using var host = ClustersServiceHost.Start(service.Infrastructure, connectionString, settings);
        var user = new ClustersClient(host.CreateClient(), service.Identity, "isolation-unsafe");

        var name = await user.CreateAsync();
        var cluster = await user.WaitForStatusAsync(name, "RUNNING");
        var scheduler = (await user.DetailsAsync(name)).GetProperty("schedulerAddress").GetString()!;

        var uid = await DaskClient.RunAsync(cluster, scheduler, """
            import os
            print(client.run_on_scheduler(os.getuid))
            """);
        Assert.Equal("0", uid);
        await user.StopAsync(name);
        await user.WaitForStatusAsync(name, "STOPPED");
    }

    private static async Task<string> StatAsync(string path) => (await RunAsync("/usr/bin/stat", "-c", "%u %a", path)).Trim();

    // Zombies are left out: they run nothing, and reaping them is the init process's part.
    private static async Task<List<string>> ProcessesOfAsync(int uid) =>
    [
        .. (await RunAsync("/usr/bin/ps", "-o", "pid=,stat=,args=", "-u", uid.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.TrimStart().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries)[1].StartsWith('Z')),
    ];

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text);
}
