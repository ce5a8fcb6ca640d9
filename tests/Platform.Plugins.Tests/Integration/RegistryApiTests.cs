using System.Net;
using Platform.Plugins.Tests.Support;

namespace Platform.Plugins.Tests.Integration;

public sealed class RegistryApiTests(PluginsServiceFixture service) : IClassFixture<PluginsServiceFixture>
{
    [Fact]
    public async Task Uploading_a_packed_plugin_returns_its_name_version_and_capabilities_disabled_until_enabled()
    {
        var installed = await service.UploadAsync(await PluginPackages.EchoAsync());

        Assert.Equal("echo", installed.GetProperty("name").GetString());
        Assert.Equal("1.0.0", installed.GetProperty("version").GetString());
        Assert.False(installed.GetProperty("enabled").GetBoolean());
        Assert.Contains("GET greeting", installed.GetProperty("capabilities").GetProperty("routes").EnumerateArray().Select(r => r.GetString()));
        Assert.Null(service.Plugins.Find("echo"));

        // Deployment stages and CLI commands are listed as capabilities (nothing runs them yet).
        var capabilities = (await service.JsonAsync(HttpMethod.Get, "/api/plugins/echo")).GetProperty("capabilities");
        Assert.Equal(["echo-config (priority 90)"], capabilities.GetProperty("stages").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["say <text> [times]"], capabilities.GetProperty("commands").EnumerateArray().Select(c => c.GetString()));

        var enabled = await service.EnableAsync("echo");
        Assert.True(enabled.GetProperty("enabled").GetBoolean());
        Assert.True(enabled.GetProperty("loaded").GetBoolean());
        var listed = await service.JsonAsync(HttpMethod.Get, "/api/plugins", user: "reader", admin: false);
        Assert.Contains("echo", listed.GetProperty("plugins").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_non_admin_upload_is_forbidden()
    {
        var refused = await service.UploadAsync(await PluginPackages.HelloAsync(), HttpStatusCode.Forbidden, user: "mallory", admin: false);

        Assert.False(string.IsNullOrEmpty(refused.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Bad_packages_are_refused_with_422_naming_the_problem()
    {
        var hello = await PluginPackages.HelloAsync();
        var chaos = await PluginPackages.ChaosAsync();
        var cases = new (byte[] Package, string Problem)[]
        {
            ("not a package at all"u8.ToArray(), "not a zip"),
            (PluginPackages.WithoutEntries(chaos, e => e.EndsWith("Chaos.dll", StringComparison.Ordinal)), "entry-point attribute"),
            (PluginPackages.WithFramework(hello, "net8.0"), "targets net8.0"),
            (new byte[PluginsServiceFixture.MaxPackageBytes + 1], "size limit"),
        };

        foreach (var (package, problem) in cases)
        {
            var refused = await service.UploadAsync(package, HttpStatusCode.UnprocessableEntity);
            Assert.Contains(problem, refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_higher_version_upgrades_an_enabled_plugin_in_place_and_restore_brings_back_the_previous_one()
    {
        var chaos = await PluginPackages.ChaosAsync();
        await service.EnsureEnabledAsync("chaos", () => Task.FromResult(chaos));
        Assert.Equal("1.0.0", service.Plugins.Find("chaos")!.Version);

        var upgraded = await service.UploadAsync(PluginPackages.WithVersion(chaos, "1.1.0"));
        Assert.Equal("1.1.0", upgraded.GetProperty("version").GetString());
        Assert.Equal("1.0.0", upgraded.GetProperty("previousVersion").GetString());
        Assert.Equal("1.1.0", service.Plugins.Find("chaos")!.Version);

        var same = await service.UploadAsync(PluginPackages.WithVersion(chaos, "1.1.0"), HttpStatusCode.Conflict);
        Assert.Contains("already uploaded", same.GetProperty("error").GetString(), StringComparison.Ordinal);

        var restored = await service.JsonAsync(HttpMethod.Post, "/api/plugins/chaos/restore");
        Assert.Equal("1.0.0", restored.GetProperty("version").GetString());
        Assert.Equal("1.0.0", service.Plugins.Find("chaos")!.Version);
        var details = await service.JsonAsync(HttpMethod.Get, "/api/plugins/chaos");
        Assert.True(details.GetProperty("enabled").GetBoolean());
        Assert.Equal("1.1.0", details.GetProperty("previousVersion").GetString());
    }

    [Fact]
    public async Task Disabling_unloads_the_plugins_load_context()
    {
        await service.EnsureEnabledAsync("hello", PluginPackages.HelloAsync);
        var version = service.Plugins.Find("hello")!.Version;

        await service.DisableAsync("hello");

        Assert.Null(service.Plugins.Find("hello"));
        var context = service.Plugins.UnloadedContext("hello", version)!;
        await Eventually.GetAsync(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return Task.FromResult(context.IsAlive);
            },
            alive => !alive,
            TimeSpan.FromSeconds(20),
            "the hello plugin's load context to be collected");
        using var gone = await service.SendAsync(HttpMethod.Get, "/api/plugins/hello/seen");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Deleting_a_plugin_removes_it_and_its_packages()
    {
        await service.EnsureEnabledAsync("echo", PluginPackages.EchoAsync);
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(service.Objects.Path, "plugins", "echo")));

        await service.JsonAsync(HttpMethod.Delete, "/api/plugins/echo");

        using var gone = await service.SendAsync(HttpMethod.Get, "/api/plugins/echo");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Null(service.Plugins.Find("echo"));
        Assert.False(Directory.Exists(Path.Combine(service.Objects.Path, "plugins", "echo")) && Directory.EnumerateFiles(Path.Combine(service.Objects.Path, "plugins", "echo")).Any());
    }

    [Fact]
    public async Task An_unknown_plugin_is_404_and_its_routes_too()
    {
        var missing = await service.JsonAsync(HttpMethod.Get, "/api/plugins/nothing-here", expected: HttpStatusCode.NotFound);
        Assert.Contains("not installed", missing.GetProperty("error").GetString(), StringComparison.Ordinal);
        await service.JsonAsync(HttpMethod.Get, "/api/plugins/nothing-here/some/route", expected: HttpStatusCode.NotFound);
        await service.JsonAsync(HttpMethod.Post, "/api/plugins/nothing-here/enable", expected: HttpStatusCode.NotFound);
    }
}
