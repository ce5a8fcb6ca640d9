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
