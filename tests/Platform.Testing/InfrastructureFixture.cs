using Platform.Testing.Servers;
using Xunit;

namespace Platform.Testing;

/// <summary>
/// Real PostgreSQL and RabbitMQ for integration tests, started once per test run (the first fixture to
/// initialize starts them; later ones reuse them) and stopped when the test process exits.
/// Use as <c>IClassFixture&lt;InfrastructureFixture&gt;</c> or a collection fixture; give each test class
/// its own database with <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    public PostgresServer Postgres { get; private set; } = null!;
    public RabbitMqServer RabbitMq { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var shared = await SharedInfrastructure.Instance;
        Postgres = shared.Postgres;
        RabbitMq = shared.RabbitMq;
    }

    /// <summary>The servers outlive any one test class; <see cref="SharedInfrastructure"/> stops them at process exit.</summary>
    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Creates a fresh database named <paramref name="prefix"/>_&lt;random&gt; and returns its Npgsql connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var safe = new string([.. prefix.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
        var name = $"{safe}_{Guid.NewGuid().ToString("N")[..8]}";
        await Postgres.CreateDatabaseAsync(name);
        return Postgres.GetConnectionString(name);
    }
}
