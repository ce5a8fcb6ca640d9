using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Hosting.Publishing;

/// <summary>
/// Writes a JSON tree as block-style YAML. Strings are always double-quoted (JSON escaping is valid YAML),
/// so no value can be misread as a number, boolean or null. Enough for Kubernetes manifests; no library needed.
/// </summary>
internal static class YamlWriter
{
    public static string Write(JsonNode node)
    {
        var text = new StringBuilder();
        WriteBlock(text, node, 0);
        return text.ToString();
    }

    public static string WriteDocuments(IEnumerable<JsonNode> documents) => string.Join("---\n", documents.Select(Write));

    private static void WriteBlock(StringBuilder text, JsonNode node, int indent)
    {
        switch (node)
        {
            case JsonObject map:
                foreach (var (key, value) in map)
                {
                    text.Append(' ', indent).Append(Key(key)).Append(':');
                    WriteValueAfterKey(text, value, indent);
                }
                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    text.Append(' ', indent).Append('-');
                    if (item is JsonObject { Count: > 0 } or JsonArray { Count: > 0 })
                    {
                        // "- key: value" with the rest of the map aligned under the first key.
                        var nested = new StringBuilder();
                        WriteBlock(nested, item!, indent + 2);
                        text.Append(' ').Append(nested.ToString()[(indent + 2)..]);
                    }
                    else
                    {
                        text.Append(' ').Append(Scalar(item)).Append('\n');
                    }
                }
                break;
            default:
                text.Append(' ', indent).Append(Scalar(node)).Append('\n');
                break;
        }
    }

    private static void WriteValueAfterKey(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 } map:
                text.Append('\n');
                WriteBlock(text, map, indent + 2);
                break;
            case JsonArray { Count: > 0 } list:
                text.Append('\n');
                WriteBlock(text, list, indent);
                break;
            case JsonValue multiline when multiline.GetValueKind() == JsonValueKind.String && IsBlockScalar(multiline.GetValue<string>()):
                // Scripts and patches stay readable as literal blocks: "|" keeps one final newline, "|-" none.
                var block = multiline.GetValue<string>();
                text.Append(block.EndsWith('\n') ? " |\n" : " |-\n");
                foreach (var line in block.TrimEnd('\n').Split('\n'))
                {
                    text.Append(' ', indent + 2).Append(line).Append('\n');
                }

                break;
            default:
                text.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    /// <summary>Literal blocks cannot carry trailing spaces, control characters, a leading space or extra final newlines faithfully.</summary>
    private static bool IsBlockScalar(string value) =>
        value.Contains('\n', StringComparison.Ordinal)
        && !value.StartsWith(' ')
        && !value.EndsWith("\n\n", StringComparison.Ordinal)
        && !value.Any(c => char.IsControl(c) && c != '\n')
        && value.Split('\n').All(line => !line.EndsWith(' '));

    private static string Key(string key) =>
        key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/') ? key : JsonSerializer.Serialize(key);

    private static string Scalar(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
        _ => node.ToJsonString(),
    };
}
