using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.ServiceDefaults.Identity;

namespace Platform.ServiceDefaults.Tests;

/// <summary>Auth's key set as the services fetch it: on an unknown key id, throttled, and soon again after a failed fetch.</summary>
public sealed class RemoteIdentityKeysTests : IDisposable
{
    private static readonly Uri KeysUrl = new("http://auth/api/identity/keys");
    private readonly IdentitySigningKey key = IdentitySigningKey.Generate();
    private readonly ManualTime time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private readonly KeySetHandler auth = new();

    public void Dispose()
    {
        key.Dispose();
        auth.Dispose();
    }

    [Fact]
    public async Task A_key_published_after_a_failed_fetch_is_found_a_second_later()
    {
        using var store = Store();
        auth.Reachable = false;
        Assert.Null(await store.FindAsync(key.KeyId, CancellationToken.None));

        auth.Reachable = true;
        time.Now += RemoteIdentityKeys.RetryAfterFailure;

        Assert.NotNull(await store.FindAsync(key.KeyId, CancellationToken.None));
        Assert.Equal(2, auth.Requests);
    }

    [Fact]
    public async Task Made_up_key_ids_fetch_the_set_at_most_once_per_interval()
    {
        using var store = Store();
        for (var i = 0; i < 50; i++)
        {
            Assert.Null(await store.FindAsync($"made-up-{i}", CancellationToken.None));
        }

        Assert.Equal(1, auth.Requests);
        Assert.NotNull(await store.FindAsync(key.KeyId, CancellationToken.None));
        time.Now += RemoteIdentityKeys.MinimumRefreshInterval;
        Assert.Null(await store.FindAsync("made-up-again", CancellationToken.None));
        Assert.Equal(2, auth.Requests);
    }

    private RemoteIdentityKeys Store()
    {
        auth.Body = JsonSerializer.Serialize(new IdentityKeySet([new PublishedIdentityKey(key.KeyId, key.ExportPublicKeyPem())]), IdentityKeySetJsonContext.Default.IdentityKeySet);
        return new RemoteIdentityKeys(new HttpClient(auth, disposeHandler: false), KeysUrl, time, NullLogger<RemoteIdentityKeys>.Instance);
    }

    private sealed class KeySetHandler : HttpMessageHandler
    {
        public bool Reachable { get; set; } = true;

        public string Body { get; set; } = "";

        public int Requests { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            return Reachable
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Body, Encoding.UTF8, "application/json") })
                : Task.FromException<HttpResponseMessage>(new HttpRequestException("Connection refused"));
        }
    }
}
