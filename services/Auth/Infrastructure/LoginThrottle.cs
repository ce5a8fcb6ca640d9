using System.Net;
using Npgsql;

namespace Platform.Auth.Infrastructure;

public sealed class LoginThrottleOptions
{
    /// <summary>Failed credential checks one client address may make per window.</summary>
    public int ClientFailures { get; set; } = 20;

    /// <summary>Failed credential checks against one user name (from any address) per window.</summary>
    public int UserFailures { get; set; } = 10;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Counts failed credential checks per client address and per claimed user name in fixed windows, in authdb so that
/// replicas share the count. Once a subject reaches its limit, credential checks for it are refused until the window ends.
/// </summary>
public sealed class LoginThrottle(NpgsqlDataSource database, LoginThrottleOptions options)
{
    public static string ClientSubject(IPAddress? address) => "client:" + (address?.ToString() ?? "unknown");

    public static string UserSubject(string userName) => "user:" + userName.ToLowerInvariant();

    public Task<TimeSpan?> ClientBlockedForAsync(IPAddress? address, CancellationToken cancellationToken) =>
        BlockedForAsync(ClientSubject(address), options.ClientFailures, cancellationToken);

    public Task<TimeSpan?> UserBlockedForAsync(string userName, CancellationToken cancellationToken) =>
        BlockedForAsync(UserSubject(userName), options.UserFailures, cancellationToken);

    /// <summary>Counts one failure for the client and, if one was claimed, the user name, in the caller's transaction.</summary>
    public async Task RecordFailureAsync(NpgsqlTransaction transaction, IPAddress? address, string? userName, CancellationToken cancellationToken)
    {
        string[] subjects = userName is null ? [ClientSubject(address)] : [ClientSubject(address), UserSubject(userName)];
        await using var command = new NpgsqlCommand(
            """
            insert into failed_attempts (subject, failures, window_started_at)
            select s, 1, now() from unnest($1::text[]) as s
            on conflict (subject) do update set
                failures = case when failed_attempts.window_started_at <= now() - $2 then 1 else failed_attempts.failures + 1 end,
                window_started_at = case when failed_attempts.window_started_at <= now() - $2 then now() else failed_attempts.window_started_at end
            """,
            transaction.Connection,
            transaction);
        command.Parameters.Add(new() { Value = subjects });
        command.Parameters.Add(new() { Value = options.Window });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("delete from failed_attempts where window_started_at <= now() - $1");
        command.Parameters.Add(new() { Value = options.Window });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<TimeSpan?> BlockedForAsync(string subject, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "select window_started_at + $2 - now() from failed_attempts where subject = $1 and failures >= $3 and window_started_at > now() - $2");
        command.Parameters.Add(new() { Value = subject });
        command.Parameters.Add(new() { Value = options.Window });
        command.Parameters.Add(new() { Value = limit });
        return await command.ExecuteScalarAsync(cancellationToken) is TimeSpan remaining ? remaining : null;
    }
}
