using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Platform.ServiceDefaults.Configuration;

namespace Platform.ServiceDefaults.Identity;

/// <summary>Where a service finds Auth's public keys by key id.</summary>
public interface IIdentityKeyStore
{
    ValueTask<ECDsa?> FindAsync(string keyId, CancellationToken cancellationToken);
}

/// <summary>Keys given in configuration: <c>Identity:PublicKeys:&lt;kid&gt;</c> = SPKI PEM. Several at once allow rotation.</summary>
public sealed class ConfiguredIdentityKeys : IIdentityKeyStore
{
    private readonly Dictionary<string, ECDsa> keys = new(StringComparer.Ordinal);

    public ConfiguredIdentityKeys(IConfiguration configuration)
    {
        foreach (var entry in configuration.GetSection("Identity:PublicKeys").GetChildren())
        {
            if (string.IsNullOrWhiteSpace(entry.Value))
            {
                continue;
            }

            var key = ECDsa.Create();
            key.ImportFromPem(entry.Value);
            keys[entry.Key] = key;
        }
    }

    public int Count => keys.Count;

    public ValueTask<ECDsa?> FindAsync(string keyId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(keys.GetValueOrDefault(keyId));
}

/// <summary>
/// Auth's published key set (<c>GET {Identity:KeysUrl}</c>), fetched again when an unknown key id appears,
/// so a rotated key is picked up without a restart; refetches are throttled against floods of made-up ids.
/// A fetch that failed (Auth still starting or restarting) is retried after a second, not after the full
/// interval: every request in between would otherwise be a 401 for a key Auth has published by then.
/// </summary>
public sealed class RemoteIdentityKeys(HttpClient http, Uri keysUrl, TimeProvider time, ILogger<RemoteIdentityKeys> logger) : IIdentityKeyStore, IDisposable
{
    public static readonly TimeSpan MinimumRefreshInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, ECDsa> keys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim refreshing = new(1, 1);
    private DateTimeOffset nextRefresh = DateTimeOffset.MinValue;

    public async ValueTask<ECDsa?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        if (keys.TryGetValue(keyId, out var known))
        {
            return known;
        }

        await refreshing.WaitAsync(cancellationToken);
        try
        {
            if (!keys.ContainsKey(keyId) && time.GetUtcNow() >= nextRefresh)
            {
                var fetched = await RefreshAsync(cancellationToken);
                nextRefresh = time.GetUtcNow() + (fetched ? MinimumRefreshInterval : RetryAfterFailure);
            }
        }
        finally
        {
            refreshing.Release();
        }

        return keys.GetValueOrDefault(keyId);
    }

    public void Dispose() => refreshing.Dispose();

    private async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var set = await http.GetFromJsonAsync(keysUrl, IdentityKeySetJsonContext.Default.IdentityKeySet, cancellationToken);
            foreach (var published in set?.Keys ?? [])
            {
                if (!keys.ContainsKey(published.KeyId))
                {
                    var key = ECDsa.Create();
                    key.ImportFromPem(published.PublicKeyPem);
                    keys[published.KeyId] = key;
                }
            }

            return true;
        }
        catch (Exception e) when (ServiceDiscoveryExtensions.IsUnreachable(e) || e is System.Text.Json.JsonException or ArgumentException or CryptographicException)
        {
            logger.LogWarning("Could not fetch identity keys from {KeysUrl}: {Error}", keysUrl, e.Message);
            return false;
        }
    }
}

/// <summary>Configured keys first, then Auth's published set.</summary>
public sealed class CompositeIdentityKeys(IReadOnlyList<IIdentityKeyStore> stores) : IIdentityKeyStore
{
    public async ValueTask<ECDsa?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        foreach (var store in stores)
        {
            if (await store.FindAsync(keyId, cancellationToken) is { } key)
            {
                return key;
            }
        }

        return null;
    }
}

/// <summary>The JSON Auth publishes at its keys endpoint.</summary>
public sealed record IdentityKeySet([property: JsonPropertyName("keys")] IReadOnlyList<PublishedIdentityKey> Keys);

public sealed record PublishedIdentityKey(
    [property: JsonPropertyName("kid")] string KeyId,
    [property: JsonPropertyName("publicKeyPem")] string PublicKeyPem);

[JsonSerializable(typeof(IdentityKeySet))]
public sealed partial class IdentityKeySetJsonContext : JsonSerializerContext;
