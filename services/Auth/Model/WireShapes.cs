using System.Text.Json.Serialization;
using Platform.Contracts.Authentication;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Identity;

namespace Platform.Auth.Model;

public sealed record CreateTokenRequest(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("expiresInSeconds")] long? ExpiresInSeconds);

/// <summary>The only response that ever carries a token's value.</summary>
public sealed record CreatedToken(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt);

public sealed record TokenSummary(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt,
    [property: JsonPropertyName("lastUsedAt")] DateTimeOffset? LastUsedAt);

public sealed record TokenList([property: JsonPropertyName("tokens")] IReadOnlyList<TokenSummary> Tokens);

public sealed record SessionsRevoked([property: JsonPropertyName("revoked")] int Revoked);

public sealed record SigningKeyRotated(
    [property: JsonPropertyName("kid")] string KeyId,
    [property: JsonPropertyName("activatesAt")] DateTimeOffset ActivatesAt);

[JsonSerializable(typeof(CallerIdentity))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(CreatedToken))]
[JsonSerializable(typeof(TokenList))]
[JsonSerializable(typeof(SessionsRevoked))]
[JsonSerializable(typeof(SigningKeyRotated))]
[JsonSerializable(typeof(IdentityKeySet))]
[JsonSerializable(typeof(ErrorBody))]
public sealed partial class AuthJsonContext : JsonSerializerContext;
