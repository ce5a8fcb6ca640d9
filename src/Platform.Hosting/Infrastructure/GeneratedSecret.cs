using System.Security.Cryptography;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// Generated passwords of letters and digits; a server's is generated once per data directory and reused by every later
/// run, so existing data stays reachable.
/// </summary>
public static class GeneratedSecret
{
    // Letters and digits only: the value goes unescaped into Npgsql connection strings and amqp:// URIs.
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string LoadOrCreate(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
        {
            return existing;
        }

        var secret = NewPassword(32);
        File.WriteAllText(path, secret);
        UnixFile.SetMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return secret;
    }

    public static string NewPassword(int length) => RandomNumberGenerator.GetString(Alphabet, length);
}
