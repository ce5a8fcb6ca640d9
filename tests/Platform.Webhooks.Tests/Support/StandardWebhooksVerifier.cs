using System.Security.Cryptography;
using System.Text;

namespace Platform.Webhooks.Tests.Support;

/// <summary>
/// The receiving side of the Standard Webhooks specification, written from the spec and not from the service's code:
/// the signed content is <c>{webhook-id}.{webhook-timestamp}.{raw body}</c>; each <c>v1,</c> entry of the space-separated
/// <c>webhook-signature</c> header is base64 HMAC-SHA256 of it under the secret's base64 part (after <c>whsec_</c>);
/// compare in constant time; refuse timestamps more than 5 minutes off.
/// </summary>
public static class StandardWebhooksVerifier
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>The secrets (of <paramref name="candidates"/>) under which one of the signatures verifies.</summary>
    public static IReadOnlyList<string> VerifyingSecrets(string id, string timestamp, string signatureHeader, byte[] body, IEnumerable<string> candidates, DateTimeOffset now)
    {
        if (!long.TryParse(timestamp, out var seconds) || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
        {
            return [];
        }

        var signed = Encoding.UTF8.GetBytes(id + "." + timestamp + ".").Concat(body).ToArray();
        var presented = signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Split(',', 2))
            .Where(p => p.Length == 2 && p[0] == "v1")
            .Select(p => TryBase64(p[1]))
            .Where(b => b is not null)
            .ToList();

        var verifying = new List<string>();
        foreach (var secret in candidates)
        {
            var key = Convert.FromBase64String(secret.Replace("whsec_", "", StringComparison.Ordinal));
            using var hmac = new HMACSHA256(key);
            var expected = hmac.ComputeHash(signed);
            if (presented.Any(p => CryptographicOperations.FixedTimeEquals(p, expected)))
            {
                verifying.Add(secret);
            }
        }

        return verifying;
    }

    private static byte[]? TryBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
