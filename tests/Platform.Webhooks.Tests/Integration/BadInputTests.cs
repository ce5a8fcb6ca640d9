using System.Net;
using System.Text.Json;
using Platform.Webhooks.Tests.Support;

namespace Platform.Webhooks.Tests.Integration;

/// <summary>Bad requests get the right 4xx with a JSON error that says what is wrong.</summary>
[Collection(WebhooksServiceCollection.Name)]
public sealed class BadInputTests(WebhooksServiceFixture service)
{
    private static readonly string[] OnlyFailures = ["cluster.failed"];

    [Theory]
    [InlineData("{}", 422, "url")]
    [InlineData("""{"url":"http://127.0.0.1:9/x","events":["cluster.exploded"]}""", 422, "Unknown event type 'cluster.exploded'")]
    [InlineData("""{"url":"http://127.0.0.1:9/x","events":[]}""", 422, "at least one event type")]
    [InlineData("""{"url":"http://127.0.0.1:9/x","events":["user.authenticated"]}""", 403, "Only administrators")]
    [InlineData("""{"url":"http://127.0.0.1:9/x","events":"cluster.running"}""", 400, "Invalid JSON")]
    [InlineData("""{"url":""", 400, "Invalid JSON")]
    public async Task Creating_an_endpoint_with_bad_input_is_refused_with_a_clear_error(string body, int status, string error)
    {
        using var response = await service.As("bad-input").SendAsync(HttpMethod.Post, "/api/webhooks/endpoints", body);
        await AssertErrorAsync(response, status, error);
    }

    [Fact]
    public async Task Requests_without_an_identity_are_refused()
    {
        using var response = await new WebhooksClient(service.Http, null, "nobody").SendAsync(HttpMethod.Get, "/api/webhooks/endpoints");
        await AssertErrorAsync(response, 401, "Authentication required");
    }

    [Fact]
    public async Task Another_users_endpoint_is_not_found_but_an_admin_may_open_it()
    {
        var (endpoint, _) = await service.As("owner-user").CreateEndpointAsync("http://127.0.0.1:9/mine");
        using var other = await service.As("other-user").SendAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}");
        await AssertErrorAsync(other, 404, "not found");
        using var secret = await service.As("other-user").SendAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}/secret");
        await AssertErrorAsync(secret, 404, "not found");
        Assert.Empty((await service.As("other-user").JsonAsync(HttpMethod.Get, "/api/webhooks/endpoints")).EnumerateArray());

        await service.As("an-admin", admin: true).JsonAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}");
    }

    [Fact]
    public async Task Bad_queries_and_bodies_on_an_endpoint_are_refused()
    {
        var user = service.As("query-user");
        var (endpoint, _) = await user.CreateEndpointAsync("http://127.0.0.1:9/q");

        await AssertErrorAsync(await user.SendAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}/messages?status=lost"), 422, "status");
        await AssertErrorAsync(await user.SendAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}/messages?limit=0"), 422, "limit");
        await AssertErrorAsync(await user.SendAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}/messages?before=x"), 422, "before");
        await AssertErrorAsync(await user.SendAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/recover", "{}"), 422, "since");
        await AssertErrorAsync(await user.SendAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/messages/msg_nope/retry"), 404, "msg_nope");
        await AssertErrorAsync(await user.SendAsync(HttpMethod.Patch, $"/api/webhooks/endpoints/{endpoint}", """{"owner":"me"}"""), 422, "'owner' cannot be changed");
        await AssertErrorAsync(await user.SendAsync(HttpMethod.Patch, $"/api/webhooks/endpoints/{endpoint}", """{"enabled":"yes"}"""), 422, "enabled");
        await AssertErrorAsync(await user.SendAsync(HttpMethod.Get, "/api/webhooks/endpoints/not-a-guid"), 404, "Not found");

        var patched = await user.JsonAsync(HttpMethod.Patch, $"/api/webhooks/endpoints/{endpoint}", new { events = OnlyFailures, description = "only failures" });
        Assert.Equal(["cluster.failed"], patched.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("only failures", patched.GetProperty("description").GetString());
        Assert.False(patched.TryGetProperty("secret", out _));

        using var deleted = await user.SendAsync(HttpMethod.Delete, $"/api/webhooks/endpoints/{endpoint}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await AssertErrorAsync(await user.SendAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpoint}"), 404, "not found");
    }

    [Fact]
    public async Task Event_types_list_every_type_and_which_are_for_admins()
    {
        var types = await service.As("types-user").JsonAsync(HttpMethod.Get, "/api/webhooks/event-types");
        var names = types.EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Contains("cluster.stopping", names);
        Assert.True(types.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "authentication.failed").GetProperty("adminOnly").GetBoolean());
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, int status, string error)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
            var message = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString();
            Assert.Contains(error, message, StringComparison.OrdinalIgnoreCase);
        }
    }
}
