using Npgsql;

namespace Platform.Auth.Infrastructure;

/// <summary>Deletes what can no longer be used: expired sessions, long-dead tokens, old failure windows, retired keys.</summary>
public sealed class ExpiredRecordsCleanup(NpgsqlDataSource database, LoginThrottle throttle, ILogger<ExpiredRecordsCleanup> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    // Revoked and expired tokens stay visible to the database for a while, for incident analysis.
    private static readonly TimeSpan KeepDeadTokensFor = TimeSpan.FromDays(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var batch = database.CreateBatch();
                batch.BatchCommands.Add(new NpgsqlBatchCommand("delete from sessions where expires_at < now()"));
                batch.BatchCommands.Add(new NpgsqlBatchCommand("delete from api_tokens where coalesce(revoked_at, expires_at) < now() - $1") { Parameters = { new() { Value = KeepDeadTokensFor } } });
                batch.BatchCommands.Add(new NpgsqlBatchCommand("delete from signing_keys where superseded_at < now() - $1") { Parameters = { new() { Value = SigningKeyRing.Retention * 2 } } });
                await batch.ExecuteNonQueryAsync(stoppingToken);
                await throttle.PruneAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Could not delete expired records: {Error}", e.Message);
            }
        }
    }
}
