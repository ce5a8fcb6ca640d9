using Npgsql;

namespace Platform.Auth.Infrastructure;

public sealed record ApiToken(Guid Id, string UserName, string Name, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? LastUsedAt);

/// <summary>Platform API tokens, stored as the SHA-256 of their value; the value itself exists only in the create response.</summary>
public sealed class ApiTokenStore(NpgsqlDataSource database, TimeProvider time)
{
    /// <summary>Makes tokens recognisable (secret scanners, logs, the token authenticator's quick check).</summary>
    public const string Prefix = "plat_";

    public async Task<(ApiToken Token, string Value)> CreateAsync(string userName, string name, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var value = SecretHash.NewSecret(Prefix);
        var token = new ApiToken(Guid.CreateVersion7(), userName, name, time.GetUtcNow(), expiresAt, null);
        await using var command = database.CreateCommand(
            "insert into api_tokens (id, token_hash, user_name, name, created_at, expires_at) values ($1, $2, $3, $4, $5, $6)");
        command.Parameters.Add(new() { Value = token.Id });
        command.Parameters.Add(new() { Value = SecretHash.Of(value) });
        command.Parameters.Add(new() { Value = token.UserName });
        command.Parameters.Add(new() { Value = token.Name });
        command.Parameters.Add(new() { Value = token.CreatedAt });
        command.Parameters.Add(new() { Value = token.ExpiresAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return (token, value);
    }

    /// <summary>The user's tokens that are neither revoked nor expired, newest first.</summary>
    public async Task<IReadOnlyList<ApiToken>> ListActiveAsync(string userName, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            select id, user_name, name, created_at, expires_at, last_used_at from api_tokens
            where user_name = $1 and revoked_at is null and expires_at > $2 order by created_at desc
            """);
        command.Parameters.Add(new() { Value = userName });
        command.Parameters.Add(new() { Value = time.GetUtcNow() });
        var tokens = new List<ApiToken>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tokens.Add(Read(reader));
        }

        return tokens;
    }

    /// <summary>Revokes one of the user's tokens; false when the user has no such (unrevoked) token.</summary>
    public async Task<bool> RevokeAsync(string userName, Guid id, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("update api_tokens set revoked_at = $3 where id = $1 and user_name = $2 and revoked_at is null");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = userName });
        command.Parameters.Add(new() { Value = time.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>The active token with this value, marking it used; null when unknown, revoked or expired.</summary>
    public async Task<ApiToken?> UseAsync(string value, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            update api_tokens set last_used_at = $2
            where token_hash = $1 and revoked_at is null and expires_at > $2
            returning id, user_name, name, created_at, expires_at, last_used_at
            """);
        command.Parameters.Add(new() { Value = SecretHash.Of(value) });
        command.Parameters.Add(new() { Value = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static ApiToken Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
}
