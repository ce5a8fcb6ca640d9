using Platform.ServiceDefaults.Secrets;
using Platform.Testing;

namespace Platform.Webhooks.Tests.Support;

/// <summary>
/// One Webhooks service for the integration tests: real PostgreSQL and RabbitMQ (shared per test run), a sealing key,
/// 127.0.0.1 allowed as a destination, a retry schedule of seconds, and a source of integration events.
/// </summary>
public sealed class WebhooksServiceFixture : IAsyncLifetime
{
    public InfrastructureFixture Infrastructure { get; } = new();
    public TestIdentity Identity { get; } = new();
    public string SealingKey { get; } = SecretSealer.NewKey();
    public WebhooksServiceHost Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public IntegrationEventSource Events { get; private set; } = null!;
    public string ConnectionString { get; private set; } = null!;

    /// <summary>The service's configuration; <paramref name="serviceName"/> names its queues, so each host gets every event.</summary>
    public Dictionary<string, string?> Settings(string connectionString, string serviceName) => new(Identity.Configuration)
    {
        ["ConnectionStrings:webhooksdb"] = connectionString,
        ["ConnectionStrings:messaging"] = Infrastructure.RabbitMq.ConnectionString,
        ["Platform:ServiceName"] = serviceName,
        ["Secrets:SealingKey"] = SealingKey,
        ["Webhooks:AllowedHosts"] = "127.0.0.1",
        ["Webhooks:PublicUrl"] = "https://platform.example",
        ["Webhooks:Delivery:RetrySchedule:0"] = "00:00:00",
        ["Webhooks:Delivery:RetrySchedule:1"] = "00:00:00.500",
        ["Webhooks:Delivery:RetrySchedule:2"] = "00:00:01",
        ["Webhooks:Delivery:RetrySchedule:3"] = "00:00:01",
        ["Webhooks:Delivery:RetrySchedule:4"] = "00:00:02",
        ["Webhooks:Delivery:ThrottleDelay"] = "00:00:01",
        ["Webhooks:Delivery:Timeout"] = "00:00:05",
    };

    public async Task InitializeAsync()
    {
        await Infrastructure.InitializeAsync();
        ConnectionString = await Infrastructure.CreateDatabaseAsync("webhooksdb");
        Host = WebhooksServiceHost.Start(Settings(ConnectionString, $"webhooks-tests-{Guid.NewGuid():N}"[..24]));
        Http = Host.CreateClient();
        Events = await IntegrationEventSource.StartAsync(Infrastructure, $"events_{Guid.NewGuid():N}"[..15]);
    }

    public WebhooksClient As(string user, bool admin = false) => new(Http, Identity, user, admin);

    public async Task DisposeAsync()
    {
        await Events.DisposeAsync();
        Http.Dispose();
        await Host.DisposeAsync();
        Identity.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class WebhooksServiceCollection : ICollectionFixture<WebhooksServiceFixture>
{
    public const string Name = "Webhooks service";
}
