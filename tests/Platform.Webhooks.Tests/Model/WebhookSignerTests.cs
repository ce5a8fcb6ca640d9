using System.Text;
using Microsoft.AspNetCore.Http;
using Platform.Webhooks.Model;
using Platform.Webhooks.Tests.Support;
using StandardWebhooks;

namespace Platform.Webhooks.Tests.Model;

public sealed class WebhookSignerTests
{
    [Fact]
    public void A_signature_verifies_with_the_specification_algorithm_written_independently()
    {
        var secret = WebhookSecret.Generate();
        var body = Encoding.UTF8.GetBytes("""{"type":"cluster.running","timestamp":"2026-12-01T00:00:00.000000Z","data":{"name":"c1"}}""");
        var now = DateTimeOffset.UtcNow;
        var timestamp = now.ToUnixTimeSeconds();

        var header = WebhookSigner.Sign("msg_0123456789abcdef0123456789abcdef", timestamp, body, [WebhookSecret.KeyBytes(secret)]);

        Assert.StartsWith("v1,", header, StringComparison.Ordinal);
        Assert.Equal([secret], StandardWebhooksVerifier.VerifyingSecrets("msg_0123456789abcdef0123456789abcdef", timestamp.ToString(), header, body, [secret], now));
    }

    [Fact]
    public void The_specification_example_secret_and_content_give_the_published_signature()
    {
        // The example of the Standard Webhooks reference libraries' tests (secret, id, timestamp, payload, signature).
        var body = Encoding.UTF8.GetBytes("""{"test": 2432232314}""");
        var header = WebhookSigner.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, [WebhookSecret.KeyBytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]);
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", header);
    }

    [Fact]
    public void During_rotation_each_secret_signs_and_either_verifies()
    {
        var (old, current) = (WebhookSecret.Generate(), WebhookSecret.Generate());
        var body = "{}"u8.ToArray();
        var now = DateTimeOffset.UtcNow;
        var header = WebhookSigner.Sign("msg_1", now.ToUnixTimeSeconds(), body, [WebhookSecret.KeyBytes(current), WebhookSecret.KeyBytes(old)]);

        Assert.Equal(2, header.Split(' ').Length);
        Assert.Equal([current], StandardWebhooksVerifier.VerifyingSecrets("msg_1", now.ToUnixTimeSeconds().ToString(), header, body, [current], now));
        Assert.Equal([old], StandardWebhooksVerifier.VerifyingSecrets("msg_1", now.ToUnixTimeSeconds().ToString(), header, body, [old], now));
    }

    [Fact]
    public void A_receiver_on_the_StandardWebhooks_library_verifies_our_signatures()
    {
        var (old, current) = (WebhookSecret.Generate(), WebhookSecret.Generate());
        const string Body = """{"type":"cluster.stopped","timestamp":"2026-12-01T00:00:00.000000Z","data":{"name":"c\u00e9"}}""";
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        HeaderDictionary Headers(params string[] secrets) => new()
        {
            ["webhook-id"] = "msg_2",
            ["webhook-timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["webhook-signature"] = WebhookSigner.Sign("msg_2", timestamp, Encoding.UTF8.GetBytes(Body), [.. secrets.Select(WebhookSecret.KeyBytes)]),
        };

        new StandardWebhook(current).Verify(Body, Headers(current));
        // During a rotation the current secret signs first: StandardWebhooks 1.1.2 reads only the first signature of
        // the header (the specification's own check, in the tests above, accepts either).
        new StandardWebhook(current).Verify(Body, Headers(current, old));
        Assert.Throws<StandardWebhooks.Diagnostics.WebhookVerificationException>(() => new StandardWebhook(WebhookSecret.Generate()).Verify(Body, Headers(current)));
        Assert.Throws<StandardWebhooks.Diagnostics.WebhookVerificationException>(() => new StandardWebhook(current).Verify(Body + " ", Headers(current)));
    }

    [Fact]
    public void A_changed_body_id_or_timestamp_does_not_verify()
    {
        var secret = WebhookSecret.Generate();
        var now = DateTimeOffset.UtcNow;
        var ts = now.ToUnixTimeSeconds();
        var header = WebhookSigner.Sign("msg_1", ts, "{\"a\":1}"u8, [WebhookSecret.KeyBytes(secret)]);

        Assert.Empty(StandardWebhooksVerifier.VerifyingSecrets("msg_1", ts.ToString(), header, "{\"a\":2}"u8.ToArray(), [secret], now));
        Assert.Empty(StandardWebhooksVerifier.VerifyingSecrets("msg_2", ts.ToString(), header, "{\"a\":1}"u8.ToArray(), [secret], now));
        Assert.Empty(StandardWebhooksVerifier.VerifyingSecrets("msg_1", (ts + 1).ToString(), header, "{\"a\":1}"u8.ToArray(), [secret], now));
    }

    [Fact]
    public void A_secret_is_whsec_and_base64_of_32_random_bytes()
    {
        var secret = WebhookSecret.Generate();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(32, WebhookSecret.KeyBytes(secret).Length);
        Assert.NotEqual(secret, WebhookSecret.Generate());
    }
}
