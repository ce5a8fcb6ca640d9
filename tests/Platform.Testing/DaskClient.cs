using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Platform.Testing;

/// <summary>
/// A real Python Dask client (Debian's /usr/bin/python3 with distributed) using a cluster's own certificate as client
/// certificate and CA, as dask-gateway's client does. With <c>sniName</c> it sends SNI <c>daskgateway-&lt;name&gt;</c>,
/// which distributed's TLS connector does only when the connection args name a server (dask-gateway's connector sets it).
/// </summary>
public static class DaskClient
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Runs <paramref name="body"/> with <c>client</c> connected to <paramref name="address"/>; returns what it printed. Fails on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string address, string certificatePem, string keyPem, string body, string? sniName = null, TimeSpan? timeout = null)
    {
        var folder = Directory.CreateTempSubdirectory("platform-dask-client-");
        try
        {
            var cert = Path.Combine(folder.FullName, "tls.crt");
            var key = Path.Combine(folder.FullName, "tls.key");
            await File.WriteAllTextAsync(cert, certificatePem);
            await File.WriteAllTextAsync(key, keyPem);
            var script = Path.Combine(folder.FullName, "client.py");
            await File.WriteAllTextAsync(script, $$"""
                import sys
                from distributed import Client
                from distributed.security import Security

                class GatewaySecurity(Security):
                    def get_connection_args(self, role):
                        args = super().get_connection_args(role)
                        if {{Quote(sniName ?? "")}}:
                            args["server_hostname"] = "daskgateway-" + {{Quote(sniName ?? "")}}
                        return args

                security = GatewaySecurity(tls_ca_file={{Quote(cert)}}, tls_client_cert={{Quote(cert)}}, tls_client_key={{Quote(key)}}, require_encryption=True)
                with Client({{Quote(address)}}, security=security, timeout=30) as client:
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

    /// <summary>The same, with the certificate and key taken from dask-gateway's cluster JSON (<c>tls_cert</c>, <c>tls_key</c>).</summary>
    public static Task<string> RunAsync(JsonElement cluster, string address, string body, string? sniName = null, TimeSpan? timeout = null) =>
        RunAsync(address, cluster.GetProperty("tls_cert").GetString()!, cluster.GetProperty("tls_key").GetString()!, body, sniName, timeout);

    private static string Quote(string text) => JsonSerializer.Serialize(text);
}
