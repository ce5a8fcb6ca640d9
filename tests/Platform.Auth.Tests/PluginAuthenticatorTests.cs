using System.Net;
using System.Net.Http.Json;
using System.Runtime.Loader;
using Platform.Auth.Tests.Support;
using Platform.Contracts.Authentication;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

/// <summary>
/// The badge sample plugin, packed by <c>dotnet pack</c> and dropped into <c>Plugins:ExtensionsPath</c> as an operator
/// would (a mounted ConfigMap); <c>Auth:Type</c> selects its authenticator by name, next to one that is not loaded.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class PluginAuthenticatorTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Pin = "4711";
    private readonly TestDirectory extensions = new("auth-extensions");
    private AuthServiceHost auth = null!;

    public async Task InitializeAsync()
    {
        File.Copy(PluginPackages.PathOf(PluginPackages.BadgePackageId), Path.Combine(extensions.Path, "badge.nupkg"));
        await File.WriteAllTextAsync(Path.Combine(extensions.Path, "broken.nupkg"), "not a package");
        auth = await StartAsync(infrastructure, new Dictionary<string, string?>
        {
            ["Auth:Type"] = "simple,badge,ldap",
            ["Auth:Simple:Password"] = "simple-password",
            ["Plugins:ExtensionsPath"] = extensions.Path,
            ["Plugins:Settings:badge:Pin"] = Pin,
            ["Plugins:Settings:badge:Admins"] = "dora",
            ["Auth:Groups:night-shift"] = "dora",
        });
    }

    public async Task DisposeAsync()
    {
        await auth.DisposeAsync();
        extensions.Dispose();
    }

    [Fact]
    public async Task The_plugin_authenticator_accepts_its_own_credentials_with_its_groups_and_admin_flag()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest($"Badge dora:{Pin}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var identity = await response.Content.ReadFromJsonAsync<CallerIdentity>();
        Assert.Equal("dora", identity!.User);
        Assert.Equal(["badge-holders", "night-shift"], identity.Groups);
        Assert.True(identity.Admin);
    }

    [Fact]
    public async Task The_plugin_authenticator_refuses_a_wrong_pin()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest("Badge dora:0000"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Its_challenge_is_offered_next_to_the_built_in_ones()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest());

        Assert.Equal(["Basic realm=\"Platform\"", "Badge realm=\"sample\""], response.Headers.WwwAuthenticate.Select(h => h.ToString()));
    }

    [Fact]
    public async Task The_built_in_authenticators_keep_working_beside_it()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest(Basic("erin", "simple-password")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Credentials_no_loaded_authenticator_accepts_are_refused_with_401_naming_the_configured_one_that_is_not_loaded()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest("Ldap cn=erin"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<ErrorBody>())!.Error;
        Assert.Contains("ldap is not loaded", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_plugin_lives_in_its_own_load_context_and_shares_only_the_sdk_and_contracts()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest($"Badge dora:{Pin}"));
        response.EnsureSuccessStatusCode();

        // Each host of this test process loaded its own copy; none of them into the default context.
        var contexts = AssemblyLoadContext.All.Where(c => c.Assemblies.Any(a => a.GetName().Name == PluginPackages.BadgePackageId)).ToList();
        Assert.NotEmpty(contexts);
        Assert.All(contexts, context =>
        {
            Assert.NotSame(AssemblyLoadContext.Default, context);
            Assert.True(context.IsCollectible);
            Assert.StartsWith($"plugin:{PluginPackages.BadgePackageId}@", context.Name, StringComparison.Ordinal);
            Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name is "Platform.Auth.Abstractions" or "Platform.Plugins.Sdk");
        });
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == PluginPackages.BadgePackageId);
    }

    private sealed record ErrorBody(string Error);
}
