using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Webhooks.Model;

/// <summary>
/// Payloads in Standard Webhooks' shape, <c>{"type","timestamp","data"}</c>, written once and stored as the exact bytes
/// that are signed and sent. Never a secret: mapping options (environment variables) keep only their names.
/// </summary>
public static class WebhookPayloads
{
    public const int MaxBytes = 20 * 1024;
    private const int MaxReasonChars = 4000;
    private const string Redacted = "[redacted]";

    public static string Cluster(string type, DateTimeOffset at, ClusterSnapshot cluster, string? publicUrl)
    {
        var dashboard = cluster.Status == "RUNNING" ? DashboardUrl(cluster.Name, publicUrl) : null;
        var reason = cluster.FailureReason is { Length: > MaxReasonChars } full ? "…" + full[^MaxReasonChars..] : cluster.FailureReason;
        var payload = Write(type, at, data =>
        {
            WriteCluster(data, cluster, dashboard, reason, cluster.OptionsJson);
        });

        // Options are the only unbounded part left; a payload that would still be too large says so instead.
        return Encoding.UTF8.GetByteCount(payload) <= MaxBytes
            ? payload
            : Write(type, at, data => WriteCluster(data, cluster, dashboard, reason, null));
    }

    public static string UserAuthenticated(DateTimeOffset at, string userName, IReadOnlyList<string> groups, bool isAdmin, string authenticator, string? clientAddress) =>
        Write(WebhookEventTypes.UserAuthenticated, at, data =>
        {
            data.WriteString("userName", userName);
            data.WriteStartArray("groups");
            foreach (var group in groups)
            {
                data.WriteStringValue(group);
            }

            data.WriteEndArray();
            data.WriteBoolean("isAdmin", isAdmin);
            data.WriteString("authenticator", authenticator);
            data.WriteString("clientAddress", clientAddress);
        });

    public static string AuthenticationFailed(DateTimeOffset at, string? userName, string authenticator, string reason, string? clientAddress) =>
        Write(WebhookEventTypes.AuthenticationFailed, at, data =>
        {
            data.WriteString("userName", userName);
            data.WriteString("authenticator", authenticator);
            data.WriteString("reason", reason.Length > MaxReasonChars ? reason[..MaxReasonChars] : reason);
            data.WriteString("clientAddress", clientAddress);
        });

    public static string Test(DateTimeOffset at, Guid endpointId) =>
        Write(WebhookEventTypes.Test, at, data =>
        {
            data.WriteString("endpointId", endpointId);
            data.WriteString("message", "A test message from the platform's Webhooks service.");
        });

    /// <summary>
    /// Options as the contract carries them (each value a string: JSON text for anything but a string) to a JSON object.
    /// Object values (mappings such as environment variables) may hold secrets: only their names are kept.
    /// </summary>
    public static string OptionsJson(IReadOnlyDictionary<string, string> options)
    {
        var result = new JsonObject();
        foreach (var (key, text) in options.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            result[key] = ParseOption(text);
        }

        return result.ToJsonString();
    }

    public static string DashboardUrl(string clusterName, string? publicUrl) =>
        $"{publicUrl?.TrimEnd('/')}/clusters/{Uri.EscapeDataString(clusterName)}/";

    private static JsonNode? ParseOption(string text)
    {
        JsonNode? node;
        try
        {
            node = text.Length > 0 && (text[0] is '{' or '[' or '-' or 't' or 'f' or 'n' || char.IsAsciiDigit(text[0])) ? JsonNode.Parse(text) : JsonValue.Create(text);
        }
        catch (JsonException)
        {
            node = JsonValue.Create(text);
        }

        if (node is JsonObject mapping)
        {
            var names = new JsonObject();
            foreach (var (name, _) in mapping)
            {
                names[name] = Redacted;
            }

            return names;
        }

        return node;
    }

    private static void WriteCluster(Utf8JsonWriter data, ClusterSnapshot cluster, string? dashboard, string? reason, string? optionsJson)
    {
        data.WriteString("name", cluster.Name);
        data.WriteString("owner", cluster.Owner);
        data.WriteString("status", cluster.Status);
        data.WriteNumber("workers", cluster.Workers);
        data.WritePropertyName("options");
        if (optionsJson is null)
        {
            data.WriteStartObject();
            data.WriteEndObject();
            data.WriteBoolean("optionsTruncated", true);
        }
        else
        {
            data.WriteRawValue(optionsJson, skipInputValidation: false);
        }

        data.WriteString("dashboardUrl", dashboard);
        data.WriteString("failureReason", reason);
    }

    private static string Write(string type, DateTimeOffset at, Action<Utf8JsonWriter> writeData)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("timestamp", at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteStartObject("data");
            writeData(json);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
