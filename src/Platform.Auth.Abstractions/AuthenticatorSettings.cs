namespace Platform.Auth.Abstractions;

/// <summary>
/// An authenticator's own settings, case-insensitive; a plugin builds it from its context's settings (the Auth service's
/// <c>Plugins:Settings:{plugin}:*</c>, e.g. env <c>Plugins__Settings__ldap__Server</c>).
/// </summary>
public sealed class AuthenticatorSettings
{
    private readonly Dictionary<string, string> values;

    public AuthenticatorSettings(IEnumerable<KeyValuePair<string, string>> values)
    {
        this.values = new Dictionary<string, string>(values, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyCollection<string> Keys => values.Keys;

    public string? this[string key] => values.GetValueOrDefault(key);

    public string GetRequired(string key) =>
        values.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new InvalidOperationException($"The authenticator needs the setting {key} (Plugins:Settings:<plugin>:{key}).");
}
