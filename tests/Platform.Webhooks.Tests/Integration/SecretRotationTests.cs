using System.Net;
using Npgsql;
using Platform.ServiceDefaults.Secrets;
using Platform.Webhooks.Tests.Support;

namespace Platform.Webhooks.Tests.Integration;

[Collection(WebhooksServiceCollection.Name)]
public sealed class SecretRotationTests(WebhooksServiceFixture service)
{
    [Fact]
    public async Task After_rotation_both_the_old_and_the_new_secret_verify()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var user = service.As("rita-rotate");
        var (endpoint, oldSecret) = await user.CreateEndpointAsync(receiver.Url("rita"));
        Assert.Equal(oldSecret, (await user.JsonAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}/secret")).GetProperty("secret").GetString());

        var newSecret = (await user.JsonAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/secret/rotate")).GetProperty("secret").GetString()!;
        Assert.NotEqual(oldSecret, newSecret);
        Assert.StartsWith("whsec_", newSecret, StringComparison.Ordinal);
        Assert.Equal(newSecret, (await user.JsonAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}/secret")).GetProperty("secret").GetString());
        receiver.Trust("rita", oldSecret);
        receiver.Trust("rita", newSecret);

        await user.JsonAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/test", expected: HttpStatusCode.Accepted);

        var received = (await Eventually.GetAsync(() => Task.FromResult(receiver.On("rita")), r => r.Count == 1, TimeSpan.FromSeconds(30), "the test message")).Single();
        Assert.Equal(2, received.Signature.Split(' ').Length);
        Assert.Equal([oldSecret, newSecret], received.VerifiedBy);
    }

    [Fact]
    public async Task A_secret_sealed_under_another_sealing_key_is_a_409_naming_the_cause_and_rotation_replaces_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var user = service.As("sid-sealing-key");
        var (endpoint, _) = await user.CreateEndpointAsync(receiver.Url("sid"));
        // As if the sealing-key parameter had changed since this secret was stored.
        var other = new SecretSealer(Convert.FromBase64String(SecretSealer.NewKey()));
        await using (var database = NpgsqlDataSource.Create(service.ConnectionString))
        await using (var update = database.CreateCommand("update webhook_endpoints set secret = $2 where id = $1"))
        {
            update.Parameters.Add(new() { Value = Guid.Parse(endpoint) });
            update.Parameters.Add(new() { Value = other.Seal("whsec_" + Convert.ToBase64String(new byte[32]), Platform.Webhooks.Model.WebhookSecret.SealingPurpose) });
            await update.ExecuteNonQueryAsync();
        }

        var unreadable = await user.JsonAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}/secret", expected: HttpStatusCode.Conflict);
        Assert.Contains("sealed with another sealing key", unreadable.GetProperty("error").GetString(), StringComparison.Ordinal);

        var newSecret = (await user.JsonAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/secret/rotate")).GetProperty("secret").GetString()!;
        Assert.Equal(newSecret, (await user.JsonAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}/secret")).GetProperty("secret").GetString());
        receiver.Trust("sid", newSecret);
        await user.JsonAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/test", expected: HttpStatusCode.Accepted);

        var received = (await Eventually.GetAsync(() => Task.FromResult(receiver.On("sid")), r => r.Count == 1, TimeSpan.FromSeconds(30), "the test message")).Single();
        Assert.Single(received.Signature.Split(' '));
        Assert.Equal([newSecret], received.VerifiedBy);
    }

    [Fact]
    public async Task Secrets_are_stored_sealed_never_in_the_clear()
    {
        var user = service.As("sam-sealed");
        var (endpoint, secret) = await user.CreateEndpointAsync("http://127.0.0.1:9/sealed");

        await using var database = NpgsqlDataSource.Create(service.ConnectionString);
        await using var select = database.CreateCommand("select secret from webhook_endpoints where id = $1");
        select.Parameters.Add(new() { Value = Guid.Parse(endpoint) });
        var stored = (string)(await select.ExecuteScalarAsync())!;

        Assert.True(SecretSealer.IsSealed(stored));
        Assert.DoesNotContain(secret["whsec_".Length..], stored, StringComparison.Ordinal);
    }
}
