using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Platform.Proxy.Tests.Support;

/// <summary>
/// A small Kestrel app on a loopback port standing in for a backend the Proxy forwards to (a dashboard, a service
/// endpoint): each test maps what it needs and can see what arrived.
/// </summary>
public sealed class StandInBackend : IAsyncDisposable
{
    private readonly WebApplication app;

    public StandInBackend(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        app = builder.Build();
        app.UseWebSockets();
        map(app);
        app.StartAsync().GetAwaiter().GetResult();
        Address = new Uri(app.Urls.First());
    }

    public Uri Address { get; }

    public ValueTask DisposeAsync() => app.DisposeAsync();

    /// <summary>Echoes the path, query and request headers as JSON.</summary>
    public static Task EchoAsync(HttpContext context) => context.Response.WriteAsJsonAsync(new
    {
        path = context.Request.Path.Value,
        query = context.Request.QueryString.Value,
        headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
    });
}
