using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Platform.Testing;

namespace Platform.Clusters.Tests.Support;

/// <summary>The real Clusters service in memory, on a real PostgreSQL database and RabbitMQ broker, running real Dask processes.</summary>
public sealed class ClustersServiceHost(InfrastructureFixture infrastructure, string connectionString, IReadOnlyDictionary<string, string?> settings)
    : WebApplicationFactory<Program>
{
    public string ConnectionString => connectionString;

    public static ClustersServiceHost Start(InfrastructureFixture infrastructure, string connectionString, IReadOnlyDictionary<string, string?> settings)
    {
        var host = new ClustersServiceHost(infrastructure, connectionString, settings);
        _ = host.Server; // starts it: migrations, recovery and the bus before the first request
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:clustersdb", connectionString);
        builder.UseSetting("ConnectionStrings:messaging", infrastructure.RabbitMq.ConnectionString);
        builder.UseSetting("Platform:ServiceName", "clusters-tests");
        builder.UseSetting("Messaging:Outbox:PollInterval", "00:00:00.200");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        // Outlives the test data folder, so a failed run can be diagnosed afterwards.
        var log = Path.Combine(Path.GetTempPath(), $"platform-clusters-tests-{Environment.ProcessId}.log");
        builder.ConfigureLogging(logging => logging.AddProvider(new FileLoggerProvider(log)));
    }
}
