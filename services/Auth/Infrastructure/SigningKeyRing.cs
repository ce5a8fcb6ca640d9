using System.Collections.Concurrent;
using System.Security.Cryptography;
using Npgsql;
using Platform.ServiceDefaults.Identity;

namespace Platform.Auth.Infrastructure;

public sealed class SigningKeyOptions
{
    /// <summary>Rotate automatically once the current key is this old; zero turns automatic rotation off.</summary>
    public TimeSpan RotationAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the background check for <see cref="RotationAge"/> runs.</summary>
    public TimeSpan RotationCheckInterval { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// The identity signing keys in authdb: the current one signs, superseded ones stay published (and verify) until every
/// assertion they can have signed has expired. Every replica reads the current key from the database, so they agree.
/// </summary>
public sealed class SigningKeyRing(NpgsqlDataSource database, TimeProvider time) : IIdentityKeyStore, IDisposable
{
    /// <summary>How long a replica keeps signing with a key it has cached after another replica rotated.</summary>
    public static readonly TimeSpan CurrentKeyRefresh = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A superseded key stays published for the longest assertion lifetime, plus the time another replica may still be
    /// signing with it, plus the verifiers' clock skew allowance, plus a margin.
    /// </summary>
    public static readonly TimeSpan Retention = IdentityAssertionVerifier.MaximumLifetime + CurrentKeyRefresh + TimeSpan.FromSeconds(30) + TimeSpan.FromMinutes(1);

    // Any constant; serialises key creation and rotation across replicas.
    private const long KeyChangeLock = 0x6175_7468_6b65_7973;

    private readonly SemaphoreSlim loading = new(1, 1);
    private readonly ConcurrentDictionary<string, PublicKey> publicKeys = new(StringComparer.Ordinal);
    private CurrentKey? current;

    /// <summary>The signer for the current key, creating the first key if the table is empty.</summary>
    public async Task<IdentityAssertionSigner> CurrentSignerAsync(CancellationToken cancellationToken)
    {
        var cached = current;
        if (cached is not null && time.GetUtcNow() - cached.LoadedAt < CurrentKeyRefresh)
        {
            return cached.Signer;
        }

        await loading.WaitAsync(cancellationToken);
        try
        {
            cached = current;
            if (cached is not null && time.GetUtcNow() - cached.LoadedAt < CurrentKeyRefresh)
            {
                return cached.Signer;
            }

            var key = await LoadCurrentAsync(cancellationToken) ?? await CreateFirstKeyAsync(cancellationToken);
            current = new CurrentKey(key, new IdentityAssertionSigner(key, time), time.GetUtcNow());
            return current.Signer;
        }
        finally
        {
            loading.Release();
        }
    }

    /// <summary>Makes a new key current; the previous one keeps verifying for <see cref="Retention"/>.</summary>
    public async Task<string> RotateAsync(CancellationToken cancellationToken) =>
        (await RotateIfOlderThanAsync(TimeSpan.Zero, cancellationToken))!;

    /// <summary>Rotates when the current key is at least <paramref name="age"/> old; replicas checking together rotate once.</summary>
    public async Task<string?> RotateIfOlderThanAsync(TimeSpan age, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(transaction, cancellationToken);
        var now = time.GetUtcNow();
        if (age > TimeSpan.Zero)
        {
            await using var check = new NpgsqlCommand("select created_at from signing_keys where superseded_at is null", connection, transaction);
            await using var reader = await check.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || now - reader.GetFieldValue<DateTimeOffset>(0) < age)
            {
                return null;
            }
        }

        await using (var supersede = new NpgsqlCommand("update signing_keys set superseded_at = $1 where superseded_at is null", connection, transaction))
        {
            supersede.Parameters.Add(new() { Value = now });
            await supersede.ExecuteNonQueryAsync(cancellationToken);
        }

        using var key = IdentitySigningKey.Generate();
        await InsertAsync(transaction, key, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        current = null;
        return key.KeyId;
    }

    /// <summary>The public keys verifiers must know: the current one and those superseded less than <see cref="Retention"/> ago.</summary>
    public async Task<IdentityKeySet> PublishedAsync(CancellationToken cancellationToken)
    {
        await CurrentSignerAsync(cancellationToken);
        await using var command = database.CreateCommand(
            "select kid, public_key_pem from signing_keys where superseded_at is null or superseded_at > $1 order by created_at desc");
        command.Parameters.Add(new() { Value = time.GetUtcNow() - Retention });
        var keys = new List<PublishedIdentityKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new PublishedIdentityKey(reader.GetString(0), reader.GetString(1)));
        }

        return new IdentityKeySet(keys);
    }

    /// <summary>Auth's own verifier (for its user-facing endpoints) trusts exactly the published set.</summary>
    public async ValueTask<ECDsa?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // A key cached while current may have been superseded since; look again after the refresh interval.
        if (!publicKeys.TryGetValue(keyId, out var known) || (known.SupersededAt is null && now - known.LoadedAt >= CurrentKeyRefresh))
        {
            await using var command = database.CreateCommand("select public_key_pem, superseded_at from signing_keys where kid = $1");
            command.Parameters.Add(new() { Value = keyId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            var key = known?.Key ?? ECDsa.Create();
            if (known is null)
            {
                key.ImportFromPem(reader.GetString(0));
            }

            known = new PublicKey(key, reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1), now);
            publicKeys[keyId] = known;
        }

        return known.SupersededAt is { } superseded && now - superseded > Retention ? null : known.Key;
    }

    public void Dispose() => loading.Dispose();

    private async Task<IdentitySigningKey?> LoadCurrentAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("select kid, private_key_pem from signing_keys where superseded_at is null");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? IdentitySigningKey.FromPrivateKeyPem(reader.GetString(0), reader.GetString(1)) : null;
    }

    private async Task<IdentitySigningKey> CreateFirstKeyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(transaction, cancellationToken);
        if (await LoadCurrentAsync(cancellationToken) is { } createdMeanwhile)
        {
            return createdMeanwhile;
        }

        var key = IdentitySigningKey.Generate();
        await InsertAsync(transaction, key, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return key;
    }

    private async Task InsertAsync(NpgsqlTransaction transaction, IdentitySigningKey key, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            "insert into signing_keys (kid, private_key_pem, public_key_pem, created_at) values ($1, $2, $3, $4)",
            transaction.Connection,
            transaction);
        insert.Parameters.Add(new() { Value = key.KeyId });
        insert.Parameters.Add(new() { Value = key.ExportPrivateKeyPem() });
        insert.Parameters.Add(new() { Value = key.ExportPublicKeyPem() });
        insert.Parameters.Add(new() { Value = time.GetUtcNow() });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task LockAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"select pg_advisory_xact_lock({KeyChangeLock})", transaction.Connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record CurrentKey(IdentitySigningKey Key, IdentityAssertionSigner Signer, DateTimeOffset LoadedAt);

    private sealed record PublicKey(ECDsa Key, DateTimeOffset? SupersededAt, DateTimeOffset LoadedAt);
}
