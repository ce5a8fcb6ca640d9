using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.ServiceDefaults.Data;
using Platform.Testing;

namespace Platform.ServiceDefaults.Tests;

public sealed class DatabaseNotificationsTests(InfrastructureFixture infrastructure) : IClassFixture<InfrastructureFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Wake_ups_given_while_the_worker_is_busy_coalesce_into_one()
    {
        using var notifications = new DatabaseNotifications(NpgsqlDataSource.Create("Host=127.0.0.1"), "unused", Long, NullLogger.Instance);
        notifications.Wake();
        notifications.Wake();
        notifications.Wake();

        Assert.True(await notifications.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.False(await notifications.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None));
    }

    [Fact]
    public async Task A_wait_never_outlasts_the_fallback_poll_interval()
    {
        using var notifications = new DatabaseNotifications(NpgsqlDataSource.Create("Host=127.0.0.1"), "unused", TimeSpan.FromMilliseconds(200), NullLogger.Instance);
        var clock = Stopwatch.StartNew();

        Assert.False(await notifications.WaitAsync(TimeSpan.FromMinutes(10), CancellationToken.None));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_committed_notification_wakes_the_worker_with_its_payload_and_a_rolled_back_one_does_not()
    {
        await using var database = NpgsqlDataSource.Create(await infrastructure.CreateDatabaseAsync("notify"));
        var payloads = new List<string>();
        using var notifications = new DatabaseNotifications(database, "test_channel", Long, NullLogger.Instance, payload =>
        {
            lock (payloads)
            {
                payloads.Add(payload);
            }
        });
        using var stop = new CancellationTokenSource();
        var listening = notifications.ListenAsync(stop.Token);
        await Eventually.TrueAsync(() => notifications.IsListening, Long, "the listener to LISTEN");

        await using (var connection = await database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var rolledBack = new NpgsqlCommand("select pg_notify('test_channel', 'rolled-back')", connection, transaction);
            await rolledBack.ExecuteNonQueryAsync();
            await transaction.RollbackAsync();
        }

        await using (var committed = database.CreateCommand("select pg_notify('test_channel', 'committed')"))
        {
            await committed.ExecuteNonQueryAsync();
        }

        await Eventually.TrueAsync(() => { lock (payloads) { return payloads.Contains("committed"); } }, Long, "the committed notification");
        lock (payloads)
        {
            Assert.DoesNotContain("rolled-back", payloads);
        }

        await stop.CancelAsync();
        await listening;
    }

    [Fact]
    public async Task A_listener_whose_connection_is_killed_reconnects_wakes_the_worker_and_hears_later_notifications()
    {
        var connectionString = await infrastructure.CreateDatabaseAsync("notify");
        await using var database = NpgsqlDataSource.Create(connectionString);
        await using var admin = NpgsqlDataSource.Create(connectionString);
        using var notifications = new DatabaseNotifications(database, "test_reconnect", Long, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var listening = notifications.ListenAsync(stop.Token);
        Assert.True(await notifications.WaitAsync(Long, CancellationToken.None), "the first LISTEN wakes the worker for a scan");

        // The listener's backend is the one waiting in LISTEN on this channel's database.
        await using (var kill = admin.CreateCommand("select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query like 'listen%'"))
        {
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }

        Assert.True(await notifications.WaitAsync(Long, CancellationToken.None), "the reconnect wakes the worker (notifications sent meanwhile are lost)");
        await Eventually.TrueAsync(() => notifications.IsListening, Long, "the listener to LISTEN again");

        await using (var notify = admin.CreateCommand("select pg_notify('test_reconnect', '')"))
        {
            await notify.ExecuteNonQueryAsync();
        }

        Assert.True(await notifications.WaitAsync(Long, CancellationToken.None), "a notification after the reconnect wakes the worker");
        await stop.CancelAsync();
        await listening;
    }
}
