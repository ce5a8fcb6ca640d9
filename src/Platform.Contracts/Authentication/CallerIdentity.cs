using System.Text.Json.Serialization;

namespace Platform.Contracts.Authentication;

/// <summary>
/// The body of Auth's 200 on <c>GET /api/auth/identity</c>, the Proxy's per-request "who is this?"; the signed
/// assertion travels beside it in the <c>X-Platform-Identity</c> header.
/// </summary>
public sealed record CallerIdentity(
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("groups")] IReadOnlyList<string> Groups,
    [property: JsonPropertyName("admin")] bool Admin);
