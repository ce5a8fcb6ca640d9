using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Platform.Hosting.Infrastructure;
using Platform.Proxy.Routing;
using Platform.Proxy.Tests.Support;
using Platform.Testing;

namespace Platform.Proxy.Tests.Integration;

/// <summary>A real TLS dask-scheduler and worker; a real Python Dask client reaches the scheduler only through the proxy.</summary>
[Collection(ProxyCollection.Name)]
public sealed class DaskSchedulerTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task A_python_dask_client_computes_through_the_sni_route()
    {
        using var folder = new TestDirectory("proxy-dask");
        using var certificate = TestCertificates.Create();
        var cert = Path.Combine(folder.Path, "cluster.crt");
        var key = Path.Combine(folder.Path, "cluster.key");
        TestCertificates.WritePem(certificate, cert, key);
        var schedulerPort = FreePort.Pick();
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
                var output = await DaskClient.RunAsync(
                    $"tls://127.0.0.1:{proxy.Port}", await File.ReadAllTextAsync(cert), await File.ReadAllTextAsync(key), """
                    client.wait_for_workers(1, timeout=30)
                    print("result", client.submit(lambda x: x * 7, 6).result(timeout=30))
                    """, sniName: "dask1");

                Assert.Contains("result 42", output, StringComparison.Ordinal);
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

    /// <summary>Servers' output is not captured, so no pipe can fill up and stall them.</summary>
    private static Process Start(string file, string[] arguments, string directory)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, UseShellExecute = false };
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
