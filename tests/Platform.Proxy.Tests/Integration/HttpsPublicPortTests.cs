using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Platform.Proxy.Routing;
using Platform.Proxy.Tests.Support;
using Platform.Testing;

namespace Platform.Proxy.Tests.Integration;

/// <summary>
/// The public port given a certificate (<c>Proxy:Certificate:*</c>): HTTP is served over HTTPS with that certificate,
/// while TLS naming a cluster is still spliced untouched to its scheduler.
/// </summary>
[Collection(ProxyCollection.Name)]
public sealed class HttpsPublicPortTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private readonly TestDirectory directory = new("proxy-https");
    private readonly X509Certificate2 certificate = TestCertificates.Create("localhost");
    private readonly TlsEchoServer scheduler = new();
    private StandInBackend auth = null!;
    private string? forwardedProto;

    public Task InitializeAsync()
    {
        // Auth and, behind it, a Clusters stand-in that echoes.
        auth = new StandInBackend(app =>
        {
            app.MapGet("/api/auth/identity", (HttpContext context) =>
            {
                forwardedProto = context.Request.Headers["X-Forwarded-Proto"].ToString();
                context.Response.Headers["X-Platform-Identity"] = "assertion-for-alice";
                return Results.Json(new { user = "alice", groups = Array.Empty<string>(), admin = false });
            });
            app.Map("/{**rest}", StandInBackend.EchoAsync);
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await auth.DisposeAsync();
        await scheduler.DisposeAsync();
        certificate.Dispose();
        directory.Dispose();
    }

    [Theory]
    [InlineData("pem")]
    [InlineData("pfx")]
    public async Task Http_is_served_over_https_with_the_configured_certificate(string format)
    {
        await using var proxy = StartProxy(format);

        using var client = HttpsClient();
        using var response = await client.GetAsync(new Uri($"https://localhost:{proxy.Port}/alive"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Forwarded_requests_tell_auth_the_client_used_https()
    {
        await using var proxy = StartProxy("pem");

        using var client = HttpsClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "YWxpY2U6cHc=");
        using var response = await client.GetAsync(new Uri($"https://localhost:{proxy.Port}/api/v1/options"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https", forwardedProto);
    }

    [Fact]
    public async Task Tls_naming_a_cluster_is_still_spliced_to_its_scheduler()
    {
        await using var proxy = StartProxy("pem");
        proxy.Routes.Add(ClusterRoute.TryCreate("echo", "alice", scheduler.Address, null)!, DateTimeOffset.UtcNow);

        await using var tls = await TlsClient.ConnectAsync(proxy.Port, "daskgateway-echo");
        var payload = RandomNumberGenerator.GetBytes(64 * 1024);
        await tls.WriteAsync(payload);
        var echoed = new byte[payload.Length];
        await tls.ReadExactlyAsync(echoed);

        Assert.Equal(payload, echoed);
        Assert.Equal("daskgateway-echo", scheduler.LastServerName);
        Assert.NotEqual(certificate.Thumbprint, tls.RemoteCertificate?.GetCertHashString());
    }

    [Fact]
    public async Task Plain_http_on_the_https_port_gets_no_answer()
    {
        await using var proxy = StartProxy("pem");

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, proxy.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /alive HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        int read;
        try
        {
            read = await stream.ReadAsync(buffer, timeout.Token);
        }
        catch (IOException)
        {
            read = 0;
        }

        Assert.False(Encoding.ASCII.GetString(buffer, 0, read).Contains("200 OK", StringComparison.Ordinal));
    }

    private ProxyServiceHost StartProxy(string format)
    {
        var settings = new Dictionary<string, string?>
        {
            ["services:auth:http:0"] = auth.Address.ToString(),
            ["services:clusters:http:0"] = auth.Address.ToString(),
        };
        if (format == "pfx")
        {
            var path = Path.Combine(directory.Path, "public.pfx");
            File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, "secret-pw"));
            settings["Proxy:Certificate:Path"] = path;
            settings["Proxy:Certificate:Password"] = "secret-pw";
        }
        else
        {
            var (cert, key) = (Path.Combine(directory.Path, "public.crt"), Path.Combine(directory.Path, "public.key"));
            TestCertificates.WritePem(certificate, cert, key);
            settings["Proxy:Certificate:Path"] = cert;
            settings["Proxy:Certificate:KeyPath"] = key;
        }

        return ProxyServiceHost.Start(infrastructure, settings);
    }

    /// <summary>A client that trusts exactly the configured certificate, as a browser given its CA would.</summary>
    private HttpClient HttpsClient()
    {
        var expected = certificate.GetCertHashString();
        return new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == expected,
            },
        });
    }
}
