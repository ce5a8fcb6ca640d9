using System.Net;
using Platform.Contracts.Clusters;
using Platform.Webhooks.Tests.Support;

namespace Platform.Webhooks.Tests.Integration;

/// <summary>Failed deliveries retry on the schedule, honour the receiver's answers, and can be sent again by hand.</summary>
[Collection(WebhooksServiceCollection.Name)]
public sealed class RetryTests(WebhooksServiceFixture service)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_receiver_down_then_up_gets_every_message()
    {
        await using var receiver = WebhookReceiver.NotListening();
        var user = service.As("dora-down");
        var (endpoint, secret) = await user.CreateEndpointAsync(receiver.Url("dora"));
        receiver.Trust("dora", secret);

        var ids = await service.Events.PublishAsync([.. Enumerable.Range(0, 5).Select(i => (object)new ClusterScaled("down-c1", "dora-down", i, DateTimeOffset.UtcNow))]);
        await Eventually.TrueAsync(async () => (await user.MessagesAsync(endpoint)).Count(m => m.GetProperty("attempts").GetInt32() >= 1) == 5, Patience, "a failed first attempt of each");
        var failedAttempt = (await user.AttemptsAsync(endpoint, "msg_" + ids[0].ToString("N")))[0];
        Assert.Equal(System.Text.Json.JsonValueKind.Null, failedAttempt.GetProperty("statusCode").ValueKind);
        Assert.Contains("Request failed", failedAttempt.GetProperty("error").GetString(), StringComparison.Ordinal);

        await receiver.StartAsync();

        await Eventually.TrueAsync(() => receiver.On("dora").Select(r => r.Id).Distinct().Count() == 5, Patience, "every message after the receiver came up");
        Assert.Equal(ids.Select(i => "msg_" + i.ToString("N")).Order(), receiver.On("dora").Select(r => r.Id).Distinct().Order());
        Assert.All(receiver.On("dora"), r => Assert.Equal([secret], r.VerifiedBy));
        await Eventually.TrueAsync(async () => (await user.EndpointAsync(endpoint)).GetProperty("failingSince").ValueKind == System.Text.Json.JsonValueKind.Null, Patience, "the endpoint to be healthy again");
    }

    [Fact]
    public async Task Exhausted_messages_stay_failed_until_retried_or_recovered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer("erin", new ReceiverBehaviour(500, Body: "boom"));
        var user = service.As("erin-retry");
        var (endpoint, secret) = await user.CreateEndpointAsync(receiver.Url("erin"));
        receiver.Trust("erin", secret);
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);

        var ids = (await service.Events.PublishAsync(
            new ClusterStopped("retry-c1", "erin-retry", DateTimeOffset.UtcNow),
            new ClusterStopped("retry-c2", "erin-retry", DateTimeOffset.UtcNow),
            new ClusterStopped("retry-c3", "erin-retry", DateTimeOffset.UtcNow))).Select(i => "msg_" + i.ToString("N")).ToList();

        // The test schedule has five attempts: 0, 0.5, 1, 1 and 2 s apart.
        await Eventually.TrueAsync(async () => (await user.MessagesAsync(endpoint, "failed")).Count == 3, Patience, "three exhausted messages");
        var attempts = await user.AttemptsAsync(endpoint, ids[0]);
        Assert.Equal(5, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(500, a.GetProperty("statusCode").GetInt32()));
        Assert.Equal("boom", attempts[0].GetProperty("response").GetString());
        var times = attempts.Select(a => a.GetProperty("timestamp").GetDateTimeOffset()).ToList();
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(450), $"second attempt {times[1] - times[0]} after the first");
        Assert.True(times[4] - times[3] >= TimeSpan.FromMilliseconds(1900), $"fifth attempt {times[4] - times[3]} after the fourth");
        Assert.Equal(15, receiver.On("erin").Count);

        receiver.Answer("erin", new ReceiverBehaviour(200));
        await user.JsonAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/messages/{ids[0]}/retry", expected: HttpStatusCode.Accepted);
        await Eventually.TrueAsync(async () => (await user.MessagesAsync(endpoint, "succeeded")).Count == 1, Patience, "the retried message");
        Assert.Equal(2, (await user.MessagesAsync(endpoint, "failed")).Count);

        var recovered = await user.JsonAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/recover", new { since }, HttpStatusCode.Accepted);
        Assert.Equal(2, recovered.GetProperty("recovered").GetInt32());
        await Eventually.TrueAsync(async () => (await user.MessagesAsync(endpoint, "succeeded")).Count == 3, Patience, "the recovered messages");
        Assert.All(ids, id => Assert.Contains(receiver.On("erin"), r => r.Id == id && r.VerifiedBy.Count == 1));
    }

    [Fact]
    public async Task A_410_disables_the_endpoint_and_its_owner_sees_why()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer("gone", new ReceiverBehaviour(410));
        var user = service.As("gina-gone");
        var (endpoint, _) = await user.CreateEndpointAsync(receiver.Url("gone"));

        await service.Events.PublishAsync(new ClusterStopping("gone-c1", "gina-gone", DateTimeOffset.UtcNow));

        var disabled = await Eventually.GetAsync(() => user.EndpointAsync(endpoint), e => !e.GetProperty("enabled").GetBoolean(), Patience, "the endpoint to be disabled");
        Assert.Contains("410", disabled.GetProperty("disabledReason").GetString(), StringComparison.Ordinal);
        Assert.Equal("failed", Assert.Single(await user.MessagesAsync(endpoint)).GetProperty("status").GetString());

        // Nothing more is sent to it, and a retry asks for it to be enabled first.
        await service.Events.PublishAsync(new ClusterStopped("gone-c1", "gina-gone", DateTimeOffset.UtcNow));
        using var test = await user.SendAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/test");
        Assert.Equal(HttpStatusCode.Conflict, test.StatusCode);
        await Task.Delay(1000);
        Assert.Single(receiver.On("gone"));

        receiver.Answer("gone", new ReceiverBehaviour(200));
        var enabled = await user.JsonAsync(HttpMethod.Patch, $"/api/webhooks/endpoints/{endpoint}", new { enabled = true });
        Assert.True(enabled.GetProperty("enabled").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, enabled.GetProperty("disabledReason").ValueKind);
    }

    [Fact]
    public async Task A_429_with_retry_after_holds_the_endpoint_back_that_long()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer("busy", new ReceiverBehaviour(429, RetryAfter: "2"));
        var user = service.As("hank-busy");
        var (endpoint, secret) = await user.CreateEndpointAsync(receiver.Url("busy"));
        receiver.Trust("busy", secret);

        await service.Events.PublishAsync(new ClusterStopping("busy-c1", "hank-busy", DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(() => receiver.On("busy").Count == 1, Patience, "the first attempt");
        receiver.Answer("busy", new ReceiverBehaviour(200));

        await Eventually.TrueAsync(() => receiver.On("busy").Count == 2, Patience, "the second attempt");
        var (first, second) = (receiver.On("busy")[0], receiver.On("busy")[1]);
        Assert.True(second.ReceivedAt - first.ReceivedAt >= TimeSpan.FromSeconds(1.9), $"retried after {second.ReceivedAt - first.ReceivedAt}");
        Assert.Equal(first.Id, second.Id);
    }

    [Fact]
    public async Task A_redirect_is_recorded_as_a_failure_and_not_followed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer("moved", new ReceiverBehaviour(307, Location: receiver.Url("target")));
        var user = service.As("ivy-redirect");
        var (endpoint, _) = await user.CreateEndpointAsync(receiver.Url("moved"));

        var queued = await user.JsonAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/test", expected: HttpStatusCode.Accepted);
        var attempts = await Eventually.GetAsync(() => user.AttemptsAsync(endpoint, queued.GetProperty("id").GetString()!), a => a.Count >= 1, Patience, "an attempt");

        Assert.Equal(307, attempts[0].GetProperty("statusCode").GetInt32());
        Assert.Empty(receiver.On("target"));
    }
}
