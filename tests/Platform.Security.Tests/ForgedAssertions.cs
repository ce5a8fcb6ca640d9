using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Platform.ServiceDefaults.Identity;

namespace Platform.Security.Tests;

/// <summary>
/// Identity assertions an attacker can make without Auth's private key, for the <c>X-Platform-Identity</c> header on a
/// service's own port: garbage, no kid, a null or empty kid, Auth's real kid signed with another key (valid or
/// expired), "alg":"none", and a real assertion of the attacker's with its payload changed to an admin.
/// </summary>
public sealed class ForgedAssertions : IDisposable
{
    private readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private ForgedAssertions(string realKeyId, string realAssertion)
    {
        RealKeyId = realKeyId;
        RealAssertion = realAssertion;
    }

    /// <summary>The kid Auth signs with now (published at <c>/api/identity/keys</c>).</summary>
    public string RealKeyId { get; }

    /// <summary>A genuine assertion of the attacker's own, issued by Auth to whoever presents their password.</summary>
    public string RealAssertion { get; }

    public static async Task<ForgedAssertions> CreateAsync(SecuritySystem system, string attacker)
    {
        using var auth = system.Service("auth");
        using var keys = JsonDocument.Parse(await auth.GetStringAsync(new Uri("/api/identity/keys", UriKind.Relative)));
        var kid = keys.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).Last();
        using var basic = system.Basic(attacker);
        using var identified = await basic.GetAsync(new Uri("/api/auth/identity", UriKind.Relative));
        identified.EnsureSuccessStatusCode();
        var assertion = identified.Headers.GetValues(PlatformIdentity.HeaderName).Single();
        return new ForgedAssertions(kid, assertion);
    }

    /// <summary>Every forgery, named, each claiming <paramref name="user"/> (an admin where the form allows it).</summary>
    public IReadOnlyList<(string Name, string Value)> All(string user) =>
    [
        ("garbage", "garbage"),
        ("three empty parts", ".."),
        ("base64 junk", "eyJhbGciOiJFUzI1NiJ9.%%%%.AAAA"),
        ("no kid", Sign(new { alg = "ES256", typ = "platform-identity+jwt" }, Payload(user, admin: true))),
        ("null kid", Sign(new { alg = "ES256", typ = "platform-identity+jwt", kid = (string?)null }, Payload(user, admin: true))),
        ("empty kid", Sign(new { alg = "ES256", typ = "platform-identity+jwt", kid = "" }, Payload(user, admin: true))),
        ("number kid", Sign(new { alg = "ES256", typ = "platform-identity+jwt", kid = 7 }, Payload(user, admin: true))),
        ("real kid, wrong key", Sign(Header(RealKeyId), Payload(user, admin: true))),
        ("real kid, wrong key, expired", Sign(Header(RealKeyId), Payload(user, admin: true, expiresIn: TimeSpan.FromHours(-1)))),
        ("unknown kid", Sign(Header("not-a-key"), Payload(user, admin: true))),
        ("alg none", $"{Encode(new { alg = "none", typ = "platform-identity+jwt", kid = RealKeyId })}.{Encode(Payload(user, admin: true))}."),
        ("real assertion, payload changed", Tampered(user)),
    ];

    public void Dispose() => key.Dispose();

    private static object Header(string kid) => new { alg = "ES256", typ = "platform-identity+jwt", kid };

    private static object Payload(string user, bool admin, TimeSpan? expiresIn = null)
    {
        var now = DateTimeOffset.UtcNow;
        return new { iss = "platform-auth", sub = user, groups = Array.Empty<string>(), admin, iat = now.ToUnixTimeSeconds(), exp = (now + (expiresIn ?? TimeSpan.FromMinutes(5))).ToUnixTimeSeconds() };
    }

    private static string Encode(object value) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value));

    private string Sign(object header, object payload)
    {
        var input = $"{Encode(header)}.{Encode(payload)}";
        return $"{input}.{Base64Url.EncodeToString(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256))}";
    }

    private string Tampered(string user)
    {
        var parts = RealAssertion.Split('.');
        return $"{parts[0]}.{Encode(Payload(user, admin: true))}.{parts[2]}";
    }
}
