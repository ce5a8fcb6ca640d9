using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Proxy.Routing;
using Platform.Proxy.Sni;

namespace Platform.Proxy.Tests.Sni;

/// <summary>Plain HTTP on the shared public port: the router peeks at the first bytes and must hand them all on.</summary>
public sealed class SniRouterHttpTests : IAsyncLifetime
{
    private WebApplication app = null!;
    private int port;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var router = new SniRouter(new RouteTable(), NullLogger<SniRouter>.Instance);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            listen.Use(next => connection => router.OnConnectionAsync(connection, next, otherTlsToNext: false))));
        app = builder.Build();
        app.MapGet("/alive", () => "alive");
        await app.StartAsync();
        port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task A_request_sent_in_one_write_is_answered_without_the_client_sending_more()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /alive HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var response = await reader.ReadToEndAsync(timeout.Token);

        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        Assert.Contains("alive", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_trickling_in_byte_by_byte_is_answered()
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        foreach (var b in Encoding.ASCII.GetBytes("GET /alive HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n"))
        {
            await stream.WriteAsync(new[] { b });
            await stream.FlushAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var response = await reader.ReadToEndAsync(timeout.Token);

        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
    }
}
