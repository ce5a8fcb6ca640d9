using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Platform.ServiceDefaults.Errors;

/// <summary>
/// Reads request bodies typed <see cref="JsonNode"/> or <see cref="JsonObject"/> strictly. Those types parse lazily, so
/// a repeated key (<c>{"count":0,"count":"x"}</c>) or a lone surrogate (<c>"\ud800"</c>) would only throw later, in
/// whatever code first looks, as a 500; here they are malformed JSON (400) before any endpoint runs.
/// </summary>
public sealed class StrictJsonNodeConverter<T> : JsonConverter<T>
    where T : JsonNode
{
    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var element = JsonElement.ParseValue(ref reader);
        Check(element);
        var node = JsonNode.Parse(element.GetRawText());
        return node as T ?? throw new JsonException($"Expected a JSON {(typeof(T) == typeof(JsonObject) ? "object" : "value")}, got {element.ValueKind}.");
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => value.WriteTo(writer, options);

    private static void Check(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    if (!names.Add(Text(() => property.Name)))
                    {
                        throw new JsonException($"The key '{Shown(property.Name)}' appears more than once in an object.");
                    }

                    Check(property.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Check(item);
                }

                break;
            case JsonValueKind.String:
                Text(element.GetString);
                break;
            default:
                break;
        }
    }

    // Reading a string whose escapes name a lone surrogate throws; it is not text any decoder downstream can use.
    private static string Text(Func<string?> read)
    {
        try
        {
            return read() ?? "";
        }
        catch (InvalidOperationException)
        {
            throw new JsonException("A string holds an invalid escape (a lone surrogate).");
        }
    }

    private static string Shown(string name) => name.Length <= 40 ? name : name[..40] + "…";
}
