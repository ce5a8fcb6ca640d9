using System.Security.Cryptography;
using System.Text;

namespace Platform.Webhooks.Model;

/// <summary>
/// Standard Webhooks' symmetric signature: <c>v1,</c> + base64 HMAC-SHA256 of <c>id.timestamp.body</c>, one per key,
/// space-separated, so receivers rotating their secret verify against either.
/// </summary>
public static class WebhookSigner
{
    public static string Sign(string webhookId, long timestamp, ReadOnlySpan<byte> body, IReadOnlyList<byte[]> keys)
    {
        var prefix = Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));

        var signatures = new StringBuilder();
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var key in keys)
        {
            HMACSHA256.HashData(key, content, mac);
            if (signatures.Length > 0)
            {
                signatures.Append(' ');
            }

            signatures.Append("v1,").Append(Convert.ToBase64String(mac));
        }

        return signatures.ToString();
    }
}
