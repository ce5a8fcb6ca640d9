using System.Diagnostics;
using System.Text.Json;

namespace Platform.Clusters.Tests.Support;

/// <summary>
/// A real Python Dask client (Debian's /usr/bin/python3 with distributed), connecting straight to a cluster's TLS
/// scheduler with the cluster's own certificate as client certificate and CA, as dask-gateway's client does.
/// </summary>
public static class DaskClientScript
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Runs <paramref name="body"/> with <c>client</c> connected; returns what it printed. Fails on a non-zero exit.</summary>
    public static async Task<string> RunAsync(JsonElement cluster, string schedulerAddress, string body, TimeSpan? timeout = null)
    {
        var folder = Directory.CreateTempSubdirectory("platform-dask-client-");
        try
        {
            var cert = Path.Combine(folder.FullName, "tls.crt");
            var key = Path.Combine(folder.FullName, "tls.key");
            await File.WriteAllTextAsync(cert, cluster.GetProperty("tls_cert").GetString());
            await File.WriteAllTextAsync(key, cluster.GetProperty("tls_key").GetString());
            var script = Path.Combine(folder.FullName, "client.py");
            await File.WriteAllTextAsync(script, $$"""
                import sys
                from distributed import Client
                from distributed.security import Security
                security = Security(tls_ca_file={{Quote(cert)}}, tls_client_cert={{Quote(cert)}}, tls_client_key={{Quote(key)}}, require_encryption=True)
                with Client({{Quote(schedulerAddress)}}, security=security, timeout=30) as client:
                {{string.Join('\n', body.Split('\n').Select(line => "    " + line))}}
                """);

            var start = new ProcessStartInfo(Python, [script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"The Dask client did not finish: {await errors}");
            }

            Assert.True(process.ExitCode == 0, $"The Dask client failed ({process.ExitCode}): {await errors}");
            return (await output).Trim();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text);
}
