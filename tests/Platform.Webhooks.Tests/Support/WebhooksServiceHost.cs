using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Platform.Webhooks.Tests.Support;

/// <summary>The real Webhooks service in memory, on a real PostgreSQL database and RabbitMQ broker.</summary>
public sealed class WebhooksServiceHost(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    public static WebhooksServiceHost Start(IReadOnlyDictionary<string, string?> settings)
    {
        var host = new WebhooksServiceHost(settings);
        _ = host.Server; // starts it: migrations, the bus and the dispatcher before the first request
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
