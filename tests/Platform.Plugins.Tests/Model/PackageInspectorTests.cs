using Platform.Plugins.Loading;
using Platform.Plugins.Tests.Support;

namespace Platform.Plugins.Tests.Model;

public sealed class PackageInspectorTests
{
    [Fact]
    public async Task A_packed_plugin_is_read_with_its_id_version_entry_point_and_private_dependencies()
    {
        var inspection = PackageInspector.Inspect(await PluginPackages.ChaosAsync(), 1_000_000);

        Assert.Null(inspection.Problem);
        var package = inspection.Package!;
        Assert.Equal("Platform.Plugins.TestPlugins.Chaos", package.PackageId);
        Assert.Equal("1.0.0", package.Version.ToNormalizedString());
        Assert.Equal("Platform.Plugins.TestPlugins.Chaos", package.EntryAssembly);
        Assert.Equal("Platform.Plugins.TestPlugins.Chaos.ChaosPlugin", package.EntryType);
        Assert.Contains("Platform.Plugins.TestPlugins.Greeting", package.Assemblies.Keys);
        Assert.DoesNotContain("Platform.Plugins.Sdk", package.Assemblies.Keys);
    }

    [Fact]
    public void A_plugin_built_against_a_newer_SDK_than_the_platform_runs_is_refused_naming_both_versions()
    {
        var host = typeof(Platform.Plugins.Sdk.IPlugin).Assembly.GetName().Version!;
        var newer = new System.Reflection.AssemblyName($"Platform.Plugins.Sdk, Version={host.Major + 1}.0.0.0");

        var problem = PackageInspector.NewerSharedReference("Acme.Plugin", [new("System.Runtime, Version=99.0.0.0"), newer]);

        Assert.Equal($"Acme.Plugin was built against Platform.Plugins.Sdk {newer.Version}, newer than this platform's {host}; build the plugin against the SDK version the platform runs, or an older one.", problem);
        Assert.Null(PackageInspector.NewerSharedReference("Acme.Plugin", [new($"Platform.Plugins.Sdk, Version={host}"), new("Platform.Contracts, Version=0.9.0.0")]));
    }

    [Fact]
    public void Bytes_that_are_not_a_zip_are_refused_as_not_a_zip()
    {
        var problem = PackageInspector.Inspect("definitely not a package"u8.ToArray(), 1_000_000).Problem;

        Assert.Contains("not a zip", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_package_without_a_net10_assembly_names_the_framework_it_targets()
    {
        var problem = PackageInspector.Inspect(PluginPackages.WithFramework(await PluginPackages.HelloAsync(), "net8.0"), 1_000_000).Problem;

        Assert.Contains("targets net8.0", problem, StringComparison.Ordinal);
        Assert.Contains("net10.0", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_package_whose_assemblies_carry_no_entry_point_attribute_is_refused()
    {
        var withoutEntry = PluginPackages.WithoutEntries(await PluginPackages.ChaosAsync(), e => e.EndsWith("Chaos.dll", StringComparison.Ordinal));

        var problem = PackageInspector.Inspect(withoutEntry, 1_000_000).Problem;

        Assert.Contains("entry-point attribute", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_package_without_a_nuspec_is_not_a_nuget_package()
    {
        var withoutNuspec = PluginPackages.WithoutEntries(await PluginPackages.HelloAsync(), e => e.EndsWith(".nuspec", StringComparison.Ordinal));

        Assert.Contains(".nuspec", PackageInspector.Inspect(withoutNuspec, 1_000_000).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_package_over_the_limit_is_refused_with_the_limit()
    {
        var package = await PluginPackages.HelloAsync();

        var problem = PackageInspector.Inspect(package, package.Length - 1).Problem;

        Assert.Contains($"size limit of {package.Length - 1} bytes", problem, StringComparison.Ordinal);
    }
}
