using System.Net;
using Platform.Plugins.Tests.Support;

namespace Platform.Plugins.Tests.Integration;

/// <summary>A Plugins service started with a package in <c>Plugins:ExtensionsPath</c>, as a mounted ConfigMap provides it.</summary>
public sealed class ExtensionsFolderFixture : PluginsServiceFixture
{
    public Platform.Testing.TestDirectory Extensions { get; } = new("plugin-extensions");

    protected override Dictionary<string, string?> Settings => new(base.Settings) { ["Plugins:ExtensionsPath"] = Extensions.Path };

    public override async Task InitializeAsync()
    {
        File.Copy(PluginPackages.PathOf("Platform.Plugins.TestPlugins.Echo"), Path.Combine(Extensions.Path, "echo.nupkg"));
        await File.WriteAllTextAsync(Path.Combine(Extensions.Path, "broken.nupkg"), "not a package");
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Extensions.Dispose();
    }
}

public sealed class ExtensionsFolderTests(ExtensionsFolderFixture service) : IClassFixture<ExtensionsFolderFixture>
{
    [Fact]
    public async Task A_plugin_in_the_extensions_folder_is_loaded_at_start_and_a_broken_one_is_skipped()
    {
        var greeting = await service.JsonAsync(HttpMethod.Get, "/api/plugins/echo/greeting", user: "alice", admin: false);
        Assert.Equal("1", greeting.GetProperty("version").GetString());

        var echo = await service.JsonAsync(HttpMethod.Get, "/api/plugins/echo");
        Assert.Equal("extensions", echo.GetProperty("source").GetString());
        Assert.True(echo.GetProperty("enabled").GetBoolean());
        var listed = await service.JsonAsync(HttpMethod.Get, "/api/plugins");
        Assert.Single(listed.GetProperty("plugins").EnumerateArray());
    }

    [Fact]
    public async Task An_extension_plugin_cannot_be_disabled_or_replaced_through_the_api()
    {
        await service.JsonAsync(HttpMethod.Post, "/api/plugins/echo/disable", expected: HttpStatusCode.Conflict);
        var upload = await service.UploadAsync(PluginPackages.WithVersion(await PluginPackages.EchoAsync(), "2.0.0"), HttpStatusCode.Conflict);
        Assert.Contains("extensions folder", upload.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
