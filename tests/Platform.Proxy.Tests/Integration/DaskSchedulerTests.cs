using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Platform.Proxy.Routing;
using Platform.Proxy.Tests.Support;
using Platform.Testing;

namespace Platform.Proxy.Tests.Integration;

/// <summary>A real TLS dask-scheduler and worker; a real Python Dask client reaches the scheduler only through the proxy.</summary>
[Collection(ProxyCollection.Name)]
public sealed class DaskSchedulerTests(InfrastructureFixture infrastructure)
{
    private const string Python = "/usr/bin/python3";

    // distributed's TLS connector sends SNI only when the connection args carry server_hostname (what dask-gateway's
    // own connector does with "daskgateway-<name>"), so the client's Security adds it.
    private const string ClientScript = """
        import sys
        from distributed import Client
        from distributed.security import Security

        proxy, name, cert, key = sys.argv[1:5]

        class GatewaySecurity(Security):
            def get_connection_args(self, role):
                args = super().get_connection_args(role)
                args["server_hostname"] = "daskgateway-" + name
                return args

        security = GatewaySecurity(tls_ca_file=cert, tls_client_cert=cert, tls_client_key=key, require_encryption=True)
        with Client(f"tls://127.0.0.1:{proxy}", security=security, timeout=30) as client:
            client.wait_for_workers(1, timeout=30)
            print("result", client.submit(lambda x: x * 7, 6).result(timeout=30))
        """;

    [Fact]
    public async Task A_python_dask_client_computes_through_the_sni_route()
    {
        using var folder = new TestDirectory("proxy-dask");
        using var certificate = TestCertificates.Create();
        var cert = Path.Combine(folder.Path, "cluster.crt");
        var key = Path.Combine(folder.Path, "cluster.key");
        TestCertificates.WritePem(certificate, cert, key);
        var schedulerPort = FreePort.Next();
        string[] tls = ["--tls-ca-file", cert, "--tls-cert", cert, "--tls-key", key];

        using var scheduler = Start("/usr/bin/dask-scheduler", ["--protocol", "tls", "--host", "127.0.0.1", "--port", schedulerPort.ToString(CultureInfo.InvariantCulture), "--dashboard-address", ":0", .. tls], folder.Path);
        try
        {
            await WaitForPortAsync(schedulerPort, scheduler);
            using var worker = Start("/usr/bin/dask-worker", [$"tls://127.0.0.1:{schedulerPort}", "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1", .. tls], folder.Path);
            try
            {
                await using var proxy = ProxyServiceHost.Start(infrastructure);
                proxy.Routes.Add(ClusterRoute.TryCreate("dask1", "alice", $"tls://127.0.0.1:{schedulerPort}", null)!, DateTimeOffset.UtcNow);
                var script = Path.Combine(folder.Path, "client.py");
                await File.WriteAllTextAsync(script, ClientScript);

                using var client = Start(Python, [script, proxy.Port.ToString(CultureInfo.InvariantCulture), "dask1", cert, key], folder.Path, capture: true);
                var output = client.StandardOutput.ReadToEndAsync();
                var errors = client.StandardError.ReadToEndAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
                await client.WaitForExitAsync(timeout.Token);

                Assert.True(client.ExitCode == 0, $"client failed: {await errors}");
                Assert.Contains("result 42", await output, StringComparison.Ordinal);
            }
            finally
            {
                Stop(worker);
            }
        }
        finally
        {
            Stop(scheduler);
        }
    }

    /// <summary>Output is captured only for the client, which is read to the end; servers log to files so no pipe fills up.</summary>
    private static Process Start(string file, string[] arguments, string directory, bool capture = false)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = capture,
            RedirectStandardError = capture,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        return process;
    }

    private static async Task WaitForPortAsync(int port, Process owner)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Assert.False(owner.HasExited, "scheduler exited");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }
}
