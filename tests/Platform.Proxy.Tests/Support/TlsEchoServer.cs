using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Proxy.Tests.Support;

/// <summary>A TLS server that echoes every byte, standing in for a scheduler; records the SNI it was offered.</summary>
public sealed class TlsEchoServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 certificate = TestCertificates.Create();
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;

    public TlsEchoServer()
    {
        listener.Start();
        accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public string Address => $"tls://127.0.0.1:{Port}";

    public string? LastServerName { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        certificate.Dispose();
        stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stopping.Token);
            _ = EchoAsync(client);
        }
    }

    private async Task EchoAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateSelectionCallback = (_, name) =>
                    {
                        LastServerName = name;
                        return certificate;
                    },
                }, stopping.Token);
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await tls.ReadAsync(buffer, stopping.Token)) > 0)
                {
                    await tls.WriteAsync(buffer.AsMemory(0, read), stopping.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
            }
        }
    }
}
