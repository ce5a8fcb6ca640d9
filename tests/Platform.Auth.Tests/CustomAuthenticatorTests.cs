using System.Net;
using System.Net.Http.Json;
using System.Runtime.Loader;
using Platform.Auth.Model;
using Platform.Auth.Tests.Support;
using Platform.Contracts.Authentication;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

/// <summary>The sample authenticator is built separately and only copied into an extensions folder, as an operator would.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class CustomAuthenticatorTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Pin = "4711";
    private readonly TestDirectory extensions = new("auth-extensions");
    private AuthServiceHost auth = null!;

    public async Task InitializeAsync()
    {
        // A plugin folder the way a third party ships it: its assembly in a sub-folder, with its own copy of the contract.
        var plugin = Directory.CreateDirectory(Path.Combine(extensions.Path, "Platform.Auth.SampleAuthenticator")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "sample-authenticator")))
        {
            File.Copy(file, Path.Combine(plugin, Path.GetFileName(file)));
        }

        File.Copy(typeof(Platform.Auth.Abstractions.IAuthenticator).Assembly.Location, Path.Combine(plugin, "Platform.Auth.Abstractions.dll"));

        auth = await StartAsync(infrastructure, new Dictionary<string, string?>
        {
            ["Auth:Type"] = "simple,custom",
            ["Auth:Simple:Password"] = "simple-password",
            ["Auth:ExtensionsDirectory"] = extensions.Path,
            ["Auth:Custom:Class"] = "Sample.Authenticators.BadgeAuthenticator, Platform.Auth.SampleAuthenticator",
            ["Auth:Custom:Settings:Pin"] = Pin,
            ["Auth:Custom:Settings:Admins"] = "dora",
            ["Auth:Groups:night-shift"] = "dora",
        });
    }

    public async Task DisposeAsync()
    {
        await auth.DisposeAsync();
        extensions.Dispose();
    }

    [Fact]
    public async Task The_custom_authenticator_accepts_its_own_credentials_with_its_groups_and_admin_flag()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest($"Badge dora:{Pin}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var identity = await response.Content.ReadFromJsonAsync<CallerIdentity>();
        Assert.Equal("dora", identity!.User);
        Assert.Equal(["badge-holders", "night-shift"], identity.Groups);
        Assert.True(identity.Admin);
    }

    [Fact]
    public async Task The_custom_authenticator_refuses_a_wrong_pin()
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
    public async Task The_plugin_lives_in_its_own_load_context_and_shares_only_the_contract()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest($"Badge dora:{Pin}"));
        response.EnsureSuccessStatusCode();

        // Each host of this test process loaded its own copy; none of them into the default context.
        var contexts = AssemblyLoadContext.All.Where(c => c.Assemblies.Any(a => a.GetName().Name == "Platform.Auth.SampleAuthenticator")).ToList();
        Assert.NotEmpty(contexts);
        Assert.All(contexts, context =>
        {
            Assert.NotSame(AssemblyLoadContext.Default, context);
            Assert.StartsWith("authenticator:", context.Name, StringComparison.Ordinal);
            Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name == "Platform.Auth.Abstractions");
        });
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "Platform.Auth.SampleAuthenticator");
    }
}
