using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Testing;

namespace Platform.Plugins.Tests.Support;

/// <summary>
/// The real Plugins service in memory, on a real PostgreSQL database, RabbitMQ broker and a folder object store; its logs
/// are also kept in a <see cref="Microsoft.Extensions.Logging.Testing.FakeLogCollector"/>.
/// </summary>
public sealed class PluginsServiceHost(InfrastructureFixture infrastructure, IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    public static PluginsServiceHost Start(InfrastructureFixture infrastructure, IReadOnlyDictionary<string, string?> settings)
    {
        var host = new PluginsServiceHost(infrastructure, settings);
        _ = host.Server; // starts it: migrations, plugin loading and the bus before the first request
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:messaging", infrastructure.RabbitMq.ConnectionString);
        builder.UseSetting("Messaging:Outbox:PollInterval", "00:00:00.200");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services => services.AddLogging(logging => logging.AddFakeLogging()));
    }
}
