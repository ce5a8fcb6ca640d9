using System.Net.Security;
using System.Net.Sockets;

namespace Platform.Proxy.Tests.Support;

/// <summary>What a dask-gateway client does: plain TCP to the proxy, then TLS naming the cluster in SNI.</summary>
public static class TlsClient
{
    public static async Task<SslStream> ConnectAsync(int port, string serverName, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port, cancellationToken);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }, cancellationToken);
        return tls;
    }
}
