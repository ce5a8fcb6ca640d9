using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Platform.Faults.Tests;

/// <summary>
/// Reaches a cluster's scheduler as dask-gateway's client does: plain TCP to the public port, then TLS with SNI
/// <c>daskgateway-&lt;name&gt;</c> and the cluster's certificate as client certificate. The handshake completes only
/// if the Proxy routed the connection to that cluster's scheduler (the server presents the cluster's certificate).
/// </summary>
public static class SchedulerProbe
{
    public static async Task<bool> ReachableAsync(int publicPort, string cluster, JsonElement gatewayJson)
    {
        if (gatewayJson.GetProperty("tls_cert").GetString() is not { Length: > 0 } certificate
            || gatewayJson.GetProperty("tls_key").GetString() is not { Length: > 0 } key)
        {
            return false;
        }

        using var clusterCertificate = X509Certificate2.CreateFromPem(certificate, key);
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await tcp.ConnectAsync("127.0.0.1", publicPort, timeout.Token);
            await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = $"daskgateway-{cluster}",
                ClientCertificates = [clusterCertificate],
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(clusterCertificate.RawData),
            }, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            return false;
        }
    }
}
