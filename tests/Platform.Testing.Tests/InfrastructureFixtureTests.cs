using Npgsql;
using Platform.Testing;
using Platform.Testing.Servers;

namespace Platform.Testing.Tests;

public sealed class InfrastructureFixtureTests(InfrastructureFixture infrastructure) : IClassFixture<InfrastructureFixture>
{
    [Fact]
    public async Task Each_requested_database_is_new_and_connectable()
    {
        var first = await infrastructure.CreateDatabaseAsync("Fixture-Test");
        var second = await infrastructure.CreateDatabaseAsync("Fixture-Test");

        var firstName = new NpgsqlConnectionStringBuilder(first).Database;
        Assert.NotEqual(firstName, new NpgsqlConnectionStringBuilder(second).Database);
        Assert.StartsWith("fixture_test_", firstName, StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(first);
        await connection.OpenAsync();
    }

    [Fact]
    public async Task The_broker_answers_amqp()
    {
        Assert.True(await AmqpProbe.AnswersAsync("127.0.0.1", infrastructure.RabbitMq.Port));
    }
}
