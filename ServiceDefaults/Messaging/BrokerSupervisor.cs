using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.Messaging;

/// <summary>
/// Keeps the bus honest and alive across broker restarts. RabbitMQ.Client 7.1.2 (the newest in our feed) can leave
/// a MassTransit receive endpoint faulted for good after a broker-initiated close (rabbitmq-dotnet-client #1802/#1865),
/// and the bus may then report Healthy while the broker is gone. So readiness comes from our own probe of the broker,
/// and a bus that stays unhealthy while the broker answers is restarted.
/// </summary>
internal sealed class BrokerSupervisor(IBusControl bus, BrokerAddress broker, TimeProvider time, ILogger<BrokerSupervisor> logger) : BackgroundService, IHealthCheck
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long the bus gets to recover on its own once the broker answers again.</summary>
    private static readonly TimeSpan RecoveryGrace = TimeSpan.FromSeconds(10);

    private volatile bool brokerReachable = true;
    private DateTimeOffset? unhealthySince;

    public bool BrokerReachable => brokerReachable;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(brokerReachable ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"broker {broker} unreachable"));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ProbeInterval, time);
        do
        {
            try
            {
                await SuperviseOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Broker supervision failed: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task SuperviseOnceAsync(CancellationToken cancellationToken)
    {
        var reachable = await ProbeAsync(cancellationToken);
        if (reachable != brokerReachable)
        {
            logger.LogInformation("Broker {Broker} reachable: {Reachable}", broker.ToString(), reachable);
        }

        brokerReachable = reachable;
        if (!reachable)
        {
            // MassTransit reconnects by itself while the broker is away; judging it only makes sense once the broker answers.
            unhealthySince = null;
            return;
        }

        if (bus.CheckHealth().Status == BusHealthStatus.Healthy)
        {
            unhealthySince = null;
            return;
        }

        var now = time.GetUtcNow();
        unhealthySince ??= now;
        if (now - unhealthySince < RecoveryGrace)
        {
            return;
        }

        logger.LogWarning("The bus stayed unhealthy for {Grace} while the broker answers; restarting it", RecoveryGrace);
        unhealthySince = null;
        await bus.StopAsync(cancellationToken);
        await bus.StartAsync(cancellationToken);
    }

    private async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await client.ConnectAsync(broker.Host, broker.Port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
