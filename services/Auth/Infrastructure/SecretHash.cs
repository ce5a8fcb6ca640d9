using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Auth.Infrastructure;

/// <summary>High-entropy secrets (cookies, API tokens): generated here, stored only as their SHA-256.</summary>
public static class SecretHash
{
    public static string NewSecret(string prefix = "") => prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Of(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Compares without leaking, through timing, how much of the expected value was right.</summary>
    public static bool FixedTimeEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(Of(presented), Of(expected));
}
