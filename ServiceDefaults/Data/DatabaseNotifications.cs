using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.ServiceDefaults.Data;

/// <summary>
/// A worker's wake-up signal from PostgreSQL <c>LISTEN</c> on one channel: notifications arriving while the worker is
/// busy coalesce into one wake-up, a lost connection is reopened (and wakes the worker, since notifications sent
/// meanwhile are gone), and <see cref="WaitAsync"/> never sleeps past the fallback poll interval.
/// </summary>
public sealed class DatabaseNotifications(
    NpgsqlDataSource database,
    string channel,
    TimeSpan fallbackPollInterval,
    ILogger logger,
    Action<string>? onNotification = null) : IDisposable
{
    /// <summary>How long a quiet connection goes unchecked; a silently dropped socket otherwise never reports.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim signal = new(0, 1);

    public string Channel => channel;

    /// <summary>True while a connection is listening; false until the first LISTEN and after a connection is lost.</summary>
    public bool IsListening { get; private set; }

    /// <summary>Holds the LISTEN connection until <paramref name="stoppingToken"/> fires, reconnecting after failures.</summary>
    public async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Notified(e.Payload);
                await using (var listen = new NpgsqlCommand($"listen {channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                IsListening = true;
                // Whatever was committed while nobody listened is found by the worker's scan on this wake.
                Wake();
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(KeepAliveInterval, stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand("select 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogDebug("Listening on {Channel} lost its connection ({Error}); polling until it is back", channel, e.Message);
            }
            finally
            {
                IsListening = false;
            }

            try
            {
                await Task.Delay(ReconnectDelay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Signals the waiting worker; signals given before it waits again are one wake-up.</summary>
    public void Wake()
    {
        if (signal.CurrentCount > 0)
        {
            return;
        }

        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // A concurrent notification signalled first.
        }
    }

    /// <summary>
    /// Waits for a wake-up, at most <paramref name="delay"/> and never longer than the fallback poll interval.
    /// True when woken; false on timeout or when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var bounded = delay < fallbackPollInterval ? delay : fallbackPollInterval;
        try
        {
            return await signal.WaitAsync(bounded < TimeSpan.Zero ? TimeSpan.Zero : bounded, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Waits for a wake-up or the fallback poll interval.</summary>
    public Task<bool> WaitAsync(CancellationToken cancellationToken) => WaitAsync(fallbackPollInterval, cancellationToken);

    public void Dispose() => signal.Dispose();

    private void Notified(string payload)
    {
        if (onNotification is null)
        {
            Wake();
        }
        else
        {
            onNotification(payload);
        }
    }
}
