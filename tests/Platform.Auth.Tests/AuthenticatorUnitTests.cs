using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Platform.Auth.Abstractions;
using Platform.Auth.Authenticators;
using Platform.Auth.Model;

namespace Platform.Auth.Tests;

/// <summary>The pure parts: credential parsing, memberships and configuration lists, without a host.</summary>
public sealed class AuthenticatorUnitTests
{
    [Theory]
    [InlineData("Basic abc", "Basic", "abc")]
    [InlineData("basic   abc  ", "Basic", "abc")]
    [InlineData("jupyterhub t0k", "jupyterhub", "t0k")]
    public void The_authorization_scheme_matches_case_insensitively_and_yields_the_trimmed_credentials(string header, string scheme, string expected)
    {
        var request = Request(("Authorization", header));

        Assert.True(request.TryGetAuthorization(scheme, out var credentials));
        Assert.Equal(expected, credentials);
    }

    [Theory]
    [InlineData("Bearer abc", "Basic")]
    [InlineData("Basic", "Basic")]
    [InlineData("Basicabc", "Basic")]
    public void Another_scheme_or_empty_credentials_do_not_match(string header, string scheme)
    {
        Assert.False(Request(("Authorization", header)).TryGetAuthorization(scheme, out _));
    }

    [Fact]
    public void Two_authorization_headers_are_not_guessed_between()
    {
        var request = new AuthenticationRequest([new("Authorization", ["Basic a", "Basic b"])], null);

        Assert.False(request.TryGetAuthorization("Basic", out _));
    }

    [Fact]
    public async Task Simple_accepts_any_user_with_the_shared_password_and_names_the_user_on_refusal()
    {
        var simple = new SimpleAuthenticator(new SimpleAuthenticatorOptions { Password = "pw" }, new HashSet<string>());

        var ok = await simple.AuthenticateAsync(Basic("anyone", "pw"), default);
        var wrong = await simple.AuthenticateAsync(Basic("anyone", "nope"), default);

        Assert.Equal(AuthenticationStatus.Succeeded, ok.Status);
        Assert.Equal("anyone", ok.User!.Name);
        Assert.Equal(AuthenticationStatus.Refused, wrong.Status);
        Assert.Equal("anyone", wrong.UserName);
    }

    [Fact]
    public async Task Simple_without_a_password_still_enforces_the_allow_list()
    {
        var simple = new SimpleAuthenticator(new SimpleAuthenticatorOptions(), new HashSet<string> { "alice" });

        Assert.Equal(AuthenticationStatus.Succeeded, (await simple.AuthenticateAsync(Basic("alice", "whatever"), default)).Status);
        Assert.Equal(AuthenticationStatus.Refused, (await simple.AuthenticateAsync(Basic("bob", "whatever"), default)).Status);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("OnBhc3N3b3Jk")] // ":password", no user name
    public async Task Simple_refuses_malformed_basic_credentials(string encoded)
    {
        var simple = new SimpleAuthenticator(new SimpleAuthenticatorOptions(), new HashSet<string>());

        var outcome = await simple.AuthenticateAsync(Request(("Authorization", "Basic " + encoded)), default);

        Assert.Equal(AuthenticationStatus.Refused, outcome.Status);
        Assert.Null(outcome.UserName);
    }

    [Fact]
    public async Task Simple_ignores_other_schemes_so_the_next_authenticator_is_asked()
    {
        var simple = new SimpleAuthenticator(new SimpleAuthenticatorOptions(), new HashSet<string>());

        Assert.Equal(AuthenticationStatus.NotApplicable, (await simple.AuthenticateAsync(Request(("Authorization", "Bearer x")), default)).Status);
    }

    [Fact]
    public void Memberships_add_configured_groups_and_admin_to_what_the_authenticator_reported()
    {
        var options = new AuthOptions
        {
            Admins = new HashSet<string> { "root" },
            Groups = new Dictionary<string, IReadOnlySet<string>> { ["ops"] = new HashSet<string> { "root", "amy" }, ["dev"] = new HashSet<string> { "amy" } },
        };
        var memberships = new PlatformMemberships(options);

        var amy = memberships.Resolve(new AuthenticatedUser("amy", ["hub-group", "ops"]));
        var root = memberships.Resolve(new AuthenticatedUser("root"));
        var hubAdmin = memberships.Resolve(new AuthenticatedUser("zed", isAdmin: true));

        Assert.Equal(["dev", "hub-group", "ops"], amy.Groups);
        Assert.False(amy.IsAdmin);
        Assert.True(root.IsAdmin);
        Assert.True(hubAdmin.IsAdmin);
    }

    [Fact]
    public void Lists_are_read_from_a_comma_separated_value_or_an_array()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Type"] = "simple, token",
            ["Auth:Admins:0"] = "alice",
            ["Auth:Admins:1"] = "bob",
            ["Auth:Groups:ops"] = "carol,dave",
        }).Build();

        var options = AuthOptions.FromConfiguration(configuration);

        Assert.Equal(["simple", "token"], options.Types);
        Assert.Equal(new HashSet<string> { "alice", "bob" }, options.Admins);
        Assert.Equal(new HashSet<string> { "carol", "dave" }, options.Groups["ops"]);
    }

    [Fact]
    public void An_authenticator_type_neither_built_in_nor_a_plugin_name_stops_start_up()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:Type"] = "simple,ldap server" }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => AuthOptions.FromConfiguration(configuration));
        Assert.Contains("ldap server", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plugin_authenticators_name_is_a_valid_auth_type()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:Type"] = "badge, simple" }).Build();

        Assert.Equal(["badge", "simple"], AuthOptions.FromConfiguration(configuration).Types);
    }

    [Fact]
    public void The_retired_custom_class_settings_stop_start_up_with_a_pointer_to_plugins()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:Type"] = "simple,custom" }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => AuthOptions.FromConfiguration(configuration));
        Assert.Contains("Plugins:ExtensionsPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_assertion_lifetime_beyond_the_verifiers_maximum_stops_start_up()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:AssertionLifetime"] = "00:30:00" }).Build();

        Assert.Throws<InvalidOperationException>(() => AuthOptions.FromConfiguration(configuration));
    }

    private static AuthenticationRequest Basic(string user, string password) =>
        Request(("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))));

    private static AuthenticationRequest Request(params (string Name, string Value)[] headers) =>
        new(headers.Select(h => new KeyValuePair<string, string[]>(h.Name, [h.Value])), IPAddress.Loopback);
}
