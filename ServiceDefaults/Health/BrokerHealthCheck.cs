using Microsoft.Extensions.DependencyInjection;
using Platform.ServiceDefaults.Messaging;
using RabbitMQ.Client;

namespace Platform.ServiceDefaults.Health;

public static class BrokerHealthCheck
{
    public const string Name = "rabbitmq";

    /// <summary>
    /// AspNetCore.HealthChecks.Rabbitmq on a connection of its own: the library checks a connection it is given, and
    /// MassTransit does not share its own.
    /// </summary>
    public static IHealthChecksBuilder AddBrokerHealthCheck(this IHealthChecksBuilder checks, string connectionString)
    {
        checks.Services.AddSingleton(new BrokerHealthConnection(BrokerAddress.Parse(connectionString)));
        return checks.AddRabbitMQ(
            sp => sp.GetRequiredService<BrokerHealthConnection>().GetAsync(),
            name: Name,
            tags: ["ready"],
            timeout: TimeSpan.FromSeconds(5));
    }
}

/// <summary>One long-lived connection for the health check, opened again after the broker closed it.</summary>
internal sealed class BrokerHealthConnection(BrokerAddress broker) : IAsyncDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private IConnection? connection;

    public async Task<IConnection> GetAsync()
    {
        if (connection is { IsOpen: true } open)
        {
            return open;
        }

        await gate.WaitAsync();
        try
        {
            if (connection is { IsOpen: true } reopened)
            {
                return reopened;
            }

            await DisposeQuietlyAsync(Interlocked.Exchange(ref connection, null));
            var factory = new ConnectionFactory
            {
                HostName = broker.Host,
                Port = broker.Port,
                VirtualHost = broker.VirtualHost,
                UserName = broker.UserName,
                Password = broker.Password,
                ClientProvidedName = "health",
                AutomaticRecoveryEnabled = false,
                RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
            };
            connection = await factory.CreateConnectionAsync();
            return connection;
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeQuietlyAsync(Interlocked.Exchange(ref connection, null));
        gate.Dispose();
    }

    /// <summary>
    /// RabbitMQ.Client 7 can throw disposing a connection the broker or a missed heartbeat already closed
    /// (ObjectDisposedException from its closing semaphore: rabbitmq-dotnet-client #1760). The connection is gone either
    /// way; letting that escape would fail the service's shutdown, or keep the check from ever opening a new one.
    /// </summary>
    private static async Task DisposeQuietlyAsync(IConnection? closed)
    {
        if (closed is null)
        {
            return;
        }

        try
        {
            await closed.DisposeAsync();
        }
        catch (Exception e) when (e is ObjectDisposedException or RabbitMQ.Client.Exceptions.OperationInterruptedException or IOException)
        {
        }
    }
}
