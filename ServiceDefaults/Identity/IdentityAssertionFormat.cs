using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.ServiceDefaults.Identity;

/// <summary>
/// The wire form: a compact JWS (ES256), <c>header.payload.signature</c> in base64url, so standard tools can read it.
/// </summary>
internal static class IdentityAssertionFormat
{
    public const string Algorithm = "ES256";
    public const string Type = "platform-identity+jwt";
    public const string Issuer = "platform-auth";

    public static string Encode<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value, type));

    public static byte[] SigningInput(string header, string payload) => Encoding.ASCII.GetBytes(header + "." + payload);

    /// <summary>The payload of a well-formed assertion, without checking its signature; null when malformed.</summary>
    public static AssertionPayload? ReadPayload(string assertion)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(Base64Url.DecodeFromChars(parts[1]), AssertionJsonContext.Default.AssertionPayload);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}

/// <summary>What a holder of an assertion may read without verifying it (the Proxy, which only passes it on).</summary>
public static class IdentityAssertion
{
    /// <summary>The assertion's <c>exp</c>, unverified: for cache lifetimes, never for trust.</summary>
    public static DateTimeOffset? UnverifiedExpiry(string assertion) =>
        IdentityAssertionFormat.ReadPayload(assertion) is { } payload ? DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt) : null;
}

internal sealed record AssertionHeader(
    [property: JsonPropertyName("alg")] string Algorithm,
    [property: JsonPropertyName("typ")] string Type,
    [property: JsonPropertyName("kid")] string KeyId);

internal sealed record AssertionPayload(
    [property: JsonPropertyName("iss")] string Issuer,
    [property: JsonPropertyName("sub")] string Subject,
    [property: JsonPropertyName("groups")] string[] Groups,
    [property: JsonPropertyName("admin")] bool Admin,
    [property: JsonPropertyName("iat")] long IssuedAt,
    [property: JsonPropertyName("exp")] long ExpiresAt);

[JsonSerializable(typeof(AssertionHeader))]
[JsonSerializable(typeof(AssertionPayload))]
internal sealed partial class AssertionJsonContext : JsonSerializerContext;
