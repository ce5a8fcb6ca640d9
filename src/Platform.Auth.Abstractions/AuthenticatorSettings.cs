namespace Platform.Auth.Abstractions;

/// <summary>
/// A custom authenticator's own settings: the keys under <c>Auth:Custom:Settings</c> (e.g. env
/// <c>Auth__Custom__Settings__Server</c>), flattened with <c>:</c> separators, case-insensitive.
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
            : throw new InvalidOperationException($"The custom authenticator needs the setting Auth:Custom:Settings:{key}.");
}
