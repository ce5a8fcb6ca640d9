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

    /// <summary>
    /// How long a new key is published before it signs. Verifiers refetch the key set on an unknown key id at most every
    /// 5 s; publishing first means none of them can have fetched a set that lacks the key it is about to meet.
    /// </summary>
    public TimeSpan ActivationDelay { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>The outcome of a rotation: the new key and when it starts signing.</summary>
public sealed record SigningKeyChange(string KeyId, DateTimeOffset ActivatesAt);

/// <summary>
/// The identity signing keys in authdb. A new key is published first and signs from its activation time; the key it
/// replaces stays published (and verifies) until every assertion it can have signed has expired. Every replica reads
/// the signing key from the database, so replicas and restarts agree.
/// </summary>
public sealed class SigningKeyRing(
    NpgsqlDataSource database, SigningKeyOptions options, SigningKeyProtection protection, TimeProvider time, ILogger<SigningKeyRing> logger) : IIdentityKeyStore, IDisposable
{
    /// <summary>How long a replica keeps signing with a key it has cached after another replica's rotation activated.</summary>
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

    /// <summary>The signer for the active key, creating the first key if there is none.</summary>
    public async Task<IdentityAssertionSigner> CurrentSignerAsync(CancellationToken cancellationToken)
    {
        if (current is { } cached && time.GetUtcNow() < cached.ValidUntil)
        {
            return cached.Signer;
        }

        await loading.WaitAsync(cancellationToken);
        try
        {
            if (current is { } loaded && time.GetUtcNow() < loaded.ValidUntil)
            {
                return loaded.Signer;
            }

            try
            {
                current = await LoadActiveAsync(cancellationToken) ?? await CreateFirstKeyAsync(cancellationToken);
            }
            catch (CryptographicException e)
            {
                current = await ReplaceUnreadableKeyAsync(e, cancellationToken);
            }

            return current.Signer;
        }
        finally
        {
            loading.Release();
        }
    }

    /// <summary>Publishes a new key that signs after <see cref="SigningKeyOptions.ActivationDelay"/>, superseding the current one then.</summary>
    public async Task<SigningKeyChange> RotateAsync(CancellationToken cancellationToken) =>
        (await RotateIfOlderThanAsync(TimeSpan.Zero, cancellationToken))!;

    /// <summary>Rotates when the newest key is at least <paramref name="age"/> old; replicas checking together rotate once.</summary>
    public async Task<SigningKeyChange?> RotateIfOlderThanAsync(TimeSpan age, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(transaction, cancellationToken);
        var now = time.GetUtcNow();
        if (age > TimeSpan.Zero)
        {
            await using var check = new NpgsqlCommand("select activates_at from signing_keys where superseded_at is null", connection, transaction);
            await using var reader = await check.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || now - reader.GetFieldValue<DateTimeOffset>(0) < age)
            {
                return null;
            }
        }

        var activatesAt = now + options.ActivationDelay;
        await using (var supersede = new NpgsqlCommand("update signing_keys set superseded_at = $1 where superseded_at is null", connection, transaction))
        {
            supersede.Parameters.Add(new() { Value = activatesAt });
            await supersede.ExecuteNonQueryAsync(cancellationToken);
        }

        using var key = IdentitySigningKey.Generate();
        await InsertAsync(transaction, key, activatesAt, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        current = null;
        return new SigningKeyChange(key.KeyId, activatesAt);
    }

    /// <summary>The public keys verifiers must know: the coming one, the active one, and those superseded less than <see cref="Retention"/> ago.</summary>
    public async Task<IdentityKeySet> PublishedAsync(CancellationToken cancellationToken)
    {
        await CurrentSignerAsync(cancellationToken);
        await using var command = database.CreateCommand(
            "select kid, public_key_pem from signing_keys where superseded_at is null or superseded_at > $1 order by activates_at desc");
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
        // A key cached while not yet superseded may have been since; look again after the refresh interval.
        if (!publicKeys.TryGetValue(keyId, out var known) || (known.SupersededAt is null && now - known.LoadedAt >= CurrentKeyRefresh))
        {
            await using var command = database.CreateCommand("select public_key_pem, superseded_at from signing_keys where kid = $1");
            command.Parameters.Add(new() { Value = keyId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            var key = known?.Key;
            if (key is null)
            {
                key = ECDsa.Create();
                key.ImportFromPem(reader.GetString(0));
            }

            known = new PublicKey(key, reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1), now);
            publicKeys[keyId] = known;
        }

        return known.SupersededAt is { } superseded && now - superseded > Retention ? null : known.Key;
    }

    /// <summary>Reseals keys stored by an earlier version (clear PEM or the retired protection key); returns how many.</summary>
    public async Task<int> ResealStoredKeysAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(transaction, cancellationToken);
        var stale = new List<(string KeyId, string Stored)>();
        await using (var select = new NpgsqlCommand("select kid, private_key from signing_keys", connection, transaction))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!SigningKeyProtection.IsCurrent(reader.GetString(1)))
                {
                    stale.Add((reader.GetString(0), reader.GetString(1)));
                }
            }
        }

        foreach (var (keyId, stored) in stale)
        {
            await using var update = new NpgsqlCommand("update signing_keys set private_key = $2 where kid = $1", connection, transaction);
            update.Parameters.Add(new() { Value = keyId });
            update.Parameters.Add(new() { Value = protection.Protect(protection.Unprotect(stored)) });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return stale.Count;
    }

    public void Dispose() => loading.Dispose();

    /// <summary>The newest activated key, cached until the refresh interval passes or a pending key activates.</summary>
    private async Task<CurrentKey?> LoadActiveAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var command = database.CreateCommand(
            """
            select kid, private_key, (select min(activates_at) from signing_keys where activates_at > $1)
            from signing_keys where activates_at <= $1 order by activates_at desc limit 1
            """);
        command.Parameters.Add(new() { Value = now });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var key = IdentitySigningKey.FromPrivateKeyPem(reader.GetString(0), protection.Unprotect(reader.GetString(1)));
        var validUntil = now + CurrentKeyRefresh;
        if (!reader.IsDBNull(2) && reader.GetFieldValue<DateTimeOffset>(2) < validUntil)
        {
            validUntil = reader.GetFieldValue<DateTimeOffset>(2);
        }

        return new CurrentKey(new IdentityAssertionSigner(key, time), validUntil);
    }

    private async Task<CurrentKey> CreateFirstKeyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(transaction, cancellationToken);
        if (await LoadActiveAsync(cancellationToken) is { } createdMeanwhile)
        {
            return createdMeanwhile;
        }

        // Nothing can have verified against an empty set, so the first key signs at once.
        var key = IdentitySigningKey.Generate();
        await InsertAsync(transaction, key, time.GetUtcNow(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new CurrentKey(new IdentityAssertionSigner(key, time), time.GetUtcNow() + CurrentKeyRefresh);
    }

    /// <summary>
    /// The active key cannot be unsealed: <c>Secrets:SealingKey</c> is not the key it was sealed with (the AppHost's
    /// sealing-key parameter was changed or lost). Nothing can sign with it again, so a new key replaces it at once;
    /// assertions it signed (minutes long) keep verifying with its public key until they expire. Sessions and API
    /// tokens are stored hashed, not sealed, and are not affected.
    /// </summary>
    private async Task<CurrentKey> ReplaceUnreadableKeyAsync(CryptographicException error, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(transaction, cancellationToken);
        try
        {
            // Another replica may have replaced it meanwhile.
            if (await LoadActiveAsync(cancellationToken) is { } replaced)
            {
                return replaced;
            }
        }
        catch (CryptographicException)
        {
        }

        // A pending key never signed anything; the active one keeps verifying what it signed until that expires.
        var now = time.GetUtcNow();
        foreach (var sql in (string[])["delete from signing_keys where activates_at > $1", "update signing_keys set superseded_at = $1 where superseded_at is null"])
        {
            await using var change = new NpgsqlCommand(sql, connection, transaction);
            change.Parameters.Add(new() { Value = now });
            await change.ExecuteNonQueryAsync(cancellationToken);
        }

        var key = IdentitySigningKey.Generate();
        await InsertAsync(transaction, key, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogError(
            "The identity signing key in authdb cannot be unsealed with the configured Secrets:SealingKey ({Error}): the sealing key is not the one it was sealed with (was the AppHost's sealing-key parameter changed?). Key {KeyId} replaces it and signs from now on",
            error.Message,
            key.KeyId);
        return new CurrentKey(new IdentityAssertionSigner(key, time), now + CurrentKeyRefresh);
    }

    private async Task InsertAsync(NpgsqlTransaction transaction, IdentitySigningKey key, DateTimeOffset activatesAt, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            "insert into signing_keys (kid, private_key, public_key_pem, created_at, activates_at) values ($1, $2, $3, $4, $5)",
            transaction.Connection,
            transaction);
        insert.Parameters.Add(new() { Value = key.KeyId });
        insert.Parameters.Add(new() { Value = protection.Protect(key.ExportPrivateKeyPem()) });
        insert.Parameters.Add(new() { Value = key.ExportPublicKeyPem() });
        insert.Parameters.Add(new() { Value = time.GetUtcNow() });
        insert.Parameters.Add(new() { Value = activatesAt });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task LockAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"select pg_advisory_xact_lock({KeyChangeLock})", transaction.Connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record CurrentKey(IdentityAssertionSigner Signer, DateTimeOffset ValidUntil);

    private sealed record PublicKey(ECDsa Key, DateTimeOffset? SupersededAt, DateTimeOffset LoadedAt);
}
