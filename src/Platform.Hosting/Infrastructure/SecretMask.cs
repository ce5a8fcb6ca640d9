using System.Text.RegularExpressions;

namespace Platform.Hosting.Infrastructure;

/// <summary>Connection strings as they may appear on a console: every password and secret key masked.</summary>
public static partial class SecretMask
{
    public static string ConnectionString(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var masked = KeyValueSecret().Replace(connectionString, m => $"{m.Groups[1].Value}={GeneratedSecret.Mask(m.Groups[2].Value)}");
        return UriPassword().Replace(masked, m => $"{m.Groups[1].Value}{GeneratedSecret.Mask(m.Groups[2].Value)}@");
    }

    [GeneratedRegex(@"(?i)\b(Password|Pwd|SecretKey|SecretAccessKey)=([^;]*)")]
    private static partial Regex KeyValueSecret();

    [GeneratedRegex(@"(\w+://[^:/@\s]+:)([^@\s]+)@")]
    private static partial Regex UriPassword();
}
