using Npgsql;
using Platform.Auth.Abstractions;

namespace Platform.Auth.Infrastructure;

/// <summary>A login's session: who, as the authenticator reported it, until when.</summary>
public sealed record Session(AuthenticatedUser User, string Authenticator, DateTimeOffset ExpiresAt);

/// <summary>Sessions in authdb keyed by the SHA-256 of the cookie value, so every replica and restart sees them.</summary>
public sealed class SessionStore(NpgsqlDataSource database, TimeProvider time)
{
    /// <summary>Creates a session in the caller's transaction and returns the cookie value (shown to nobody but the client).</summary>
    public async Task<string> CreateAsync(NpgsqlTransaction transaction, AuthenticatedUser user, string authenticator, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var cookie = SecretHash.NewSecret();
        await using var command = new NpgsqlCommand(
            "insert into sessions (session_hash, user_name, groups, admin, authenticator, created_at, expires_at) values ($1, $2, $3, $4, $5, $6, $7)",
            transaction.Connection,
            transaction);
        command.Parameters.Add(new() { Value = SecretHash.Of(cookie) });
        command.Parameters.Add(new() { Value = user.Name });
        command.Parameters.Add(new() { Value = user.Groups.ToArray() });
        command.Parameters.Add(new() { Value = user.IsAdmin });
        command.Parameters.Add(new() { Value = authenticator });
        command.Parameters.Add(new() { Value = time.GetUtcNow() });
        command.Parameters.Add(new() { Value = expiresAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return cookie;
    }

    public async Task<Session?> FindAsync(string cookie, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "select user_name, groups, admin, authenticator, expires_at from sessions where session_hash = $1 and expires_at > $2");
        command.Parameters.Add(new() { Value = SecretHash.Of(cookie) });
        command.Parameters.Add(new() { Value = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new Session(
            new AuthenticatedUser(reader.GetString(0), reader.GetFieldValue<string[]>(1), reader.GetBoolean(2)),
            reader.GetString(3),
            reader.GetFieldValue<DateTimeOffset>(4));
    }

    public async Task<bool> DeleteAsync(string cookie, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("delete from sessions where session_hash = $1");
        command.Parameters.Add(new() { Value = SecretHash.Of(cookie) });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<int> DeleteForUserAsync(string userName, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("delete from sessions where user_name = $1");
        command.Parameters.Add(new() { Value = userName });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
