using System.Text.Json;

namespace Platform.Plugins.Sdk.Routes;

/// <summary>Serves one request to a plugin route.</summary>
public delegate Task<PluginResponse> PluginRouteHandler(PluginRequest request, CancellationToken cancellationToken);

/// <summary>The verified caller of a plugin route, as Auth vouched for it.</summary>
public sealed record PluginCaller(string User, IReadOnlyList<string> Groups, bool IsAdmin);

/// <summary>A request to a plugin route: the path below <c>/api/plugins/{plugin}</c>, its <c>{param}</c> values, query and body.</summary>
public sealed record PluginRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> RouteValues,
    IReadOnlyDictionary<string, string> Query,
    PluginCaller Caller,
    ReadOnlyMemory<byte> Body);

/// <summary>
/// A route's answer. JSON is serialized by the plugin's own call (<see cref="Json{T}"/>) so no host cache keeps a
/// plugin type alive after the plugin is unloaded.
/// </summary>
public sealed record PluginResponse(int StatusCode, string ContentType, ReadOnlyMemory<byte> Body)
{
    // A fresh options instance per call on purpose: a cached one (this assembly is shared) would hold the plugin's
    // types in its metadata cache and keep the plugin's load context from unloading.
#pragma warning disable CA1869
    public static PluginResponse Json<T>(T value, int statusCode = 200) =>
        new(statusCode, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(value, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
#pragma warning restore CA1869

    public static PluginResponse Text(string text, int statusCode = 200) =>
        new(statusCode, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>The platform's error shape, <c>{"error": "…"}</c>.</summary>
    public static PluginResponse Error(int statusCode, string message) =>
        new(statusCode, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["error"] = message }));
}
