using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Delivery;

/// <summary>What an attempt produced and what is recorded of it.</summary>
public sealed record AttemptResult(AttemptOutcome Outcome, DateTimeOffset AttemptedAt, int LatencyMilliseconds, string? ResponseBody);

/// <summary>One signed POST in Standard Webhooks' form. Redirects are not followed; the attempt's own timestamp is signed.</summary>
public sealed class WebhookSender(HttpClient http, IOptions<WebhookSettings> settings, TimeProvider time)
{
    public const string HttpClientName = "webhooks";
    private const int MaxResponseBytes = 1024;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public async Task<AttemptResult> SendAsync(string url, string webhookId, byte[] body, IReadOnlyList<byte[]> keys, CancellationToken cancellationToken)
    {
        var attemptedAt = time.GetUtcNow();
        var timestamp = attemptedAt.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.TryAddWithoutValidation("webhook-id", webhookId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSigner.Sign(webhookId, timestamp, body, keys));

        var timeout = settings.Value.Delivery.Timeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var responseBody = await ReadPrefixAsync(response, deadline.Token);
            var retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - time.GetUtcNow(),
                _ => (TimeSpan?)null,
            };
            DeliveryMetrics.Stage("send", started);
            return new AttemptResult(new AttemptOutcome((int)response.StatusCode, retryAfter, null), attemptedAt, Elapsed(started), responseBody);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new AttemptResult(new AttemptOutcome(null, null, $"Timed out after {timeout.TotalSeconds:0.#} s"), attemptedAt, Elapsed(started), null);
        }
        catch (HttpRequestException e)
        {
            // The message names the failure, never the URL (it may carry a token the owner put there).
            var error = Refusal(e)?.Message ?? $"Request failed: {e.HttpRequestError}";
            return new AttemptResult(new AttemptOutcome(null, null, error), attemptedAt, Elapsed(started), null);
        }
    }

    private static async Task<string?> ReadPrefixAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxResponseBytes];
        var length = 0;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        // PostgreSQL text cannot hold NUL; a binary answer is kept as readable as it gets.
        return length == 0 ? null : Encoding.UTF8.GetString(buffer, 0, length).Replace("\0", "", StringComparison.Ordinal);
    }

    // The handler wraps what the connect callback throws.
    private static DestinationRefusedException? Refusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is DestinationRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    private static int Elapsed(long started) => (int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
}
