using System.Net;
using System.Net.Http.Json;
using System.Text;
using Platform.Auth.Model;
using Platform.Auth.Tests.Support;
using Platform.ServiceDefaults.Identity;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

/// <summary>
/// Runs every authenticator through successes and refusals with all log output captured at Trace level, then searches
/// the logs, the published events and the error bodies for each secret that passed through.
/// </summary>
[Collection(JupyterHubCollection.Name)]
public sealed class SecretLoggingTests(InfrastructureFixture infrastructure, JupyterHubServer hub)
{
    private const string Password = "s3cret-shared-Password!";
    private const string Pin = "pin-7781-secret";

    [Fact]
    public async Task No_password_token_cookie_assertion_or_private_key_appears_in_logs_events_or_errors()
    {
        var logs = new CapturedLogs();
        var secrets = new List<string> { Password, Pin, AuthServiceHost.ProxyToken };
        var errorBodies = new StringBuilder();
        using var extensions = new TestDirectory("auth-extensions");
        File.Copy(PluginPackages.PathOf(PluginPackages.BadgePackageId), Path.Combine(extensions.Path, "badge.nupkg"));

        await hub.CreateUserAsync("leaktest", admin: false, "leakers");
        var (hubTokenId, hubToken) = await hub.CreateTokenAsync("leaktest");
        secrets.Add(hubToken);

        await using (var auth = await StartAsync(infrastructure, new Dictionary<string, string?>
        {
            ["Auth:Type"] = "simple,jupyterhub,token,badge",
            ["Auth:Simple:Password"] = Password,
            ["Auth:JupyterHub:Url"] = hub.Url.ToString(),
            ["Auth:JupyterHub:RequiredScope"] = JupyterHubServer.GatewayScope,
            ["Auth:JupyterHub:CacheDuration"] = "00:00:00.100",
            ["Plugins:ExtensionsPath"] = extensions.Path,
            ["Plugins:Settings:badge:Pin"] = Pin,
            ["Auth:RateLimit:UserFailures"] = "2",
            ["Auth:Admins"] = "root",
        }, logs))
        {
            async Task<HttpResponseMessage> Send(HttpRequestMessage request)
            {
                var response = await auth.Client().SendAsync(request);
                if (!response.IsSuccessStatusCode)
                {
                    errorBodies.AppendLine(await response.Content.ReadAsStringAsync());
                }

                if (response.Headers.TryGetValues(PlatformIdentity.HeaderName, out var assertions))
                {
                    secrets.Add(assertions.Single());
                }

                if (SessionCookie(response) is { } setCookie)
                {
                    secrets.Add(CookiePair(setCookie).Split('=', 2)[1]);
                }

                return response;
            }

            // Simple: success, wrong password, then a locked account.
            secrets.Add(Basic("sam", Password)["Basic ".Length..]);
            using var basic = await Send(IdentityRequest(Basic("sam", Password)));
            foreach (var wrong in new[] { "wrong-password-one", "wrong-password-two", "wrong-password-three" })
            {
                secrets.Add(wrong);
                secrets.Add(Basic("sam", wrong)["Basic ".Length..]);
                using var refused = await Send(IdentityRequest(Basic("sam", wrong)));
            }

            // JupyterHub: valid, then revoked, then never issued.
            using var hubOk = await Send(IdentityRequest($"jupyterhub {hubToken}"));
            Assert.Equal(HttpStatusCode.OK, hubOk.StatusCode);
            await hub.RevokeTokenAsync("leaktest", hubTokenId);
            await Task.Delay(300);
            using var hubRevoked = await Send(IdentityRequest($"jupyterhub {hubToken}"));
            Assert.Equal(HttpStatusCode.Unauthorized, hubRevoked.StatusCode);
            const string madeUpHubToken = "f00dfeedf00dfeedf00dfeedf00dfeed";
            secrets.Add(madeUpHubToken);
            using var hubUnknown = await Send(IdentityRequest($"jupyterhub {madeUpHubToken}", clientAddress: "192.0.2.77"));

            // API tokens: create, use, revoke, use again.
            var assertion = hubOk.Headers.GetValues(PlatformIdentity.HeaderName).Single();
            using var create = await auth.Client().SendAsync(AsUser(HttpMethod.Post, "/api/tokens", assertion, JsonContent.Create(new CreateTokenRequest("leak", null))));
            var token = (await create.Content.ReadFromJsonAsync<CreatedToken>())!;
            secrets.Add(token.Token);
            using var tokenOk = await Send(IdentityRequest($"Bearer {token.Token}", clientAddress: "192.0.2.78"));
            Assert.Equal(HttpStatusCode.OK, tokenOk.StatusCode);
            using var revoke = await auth.Client().SendAsync(AsUser(HttpMethod.Delete, $"/api/tokens/{token.Id}", assertion));
            using var tokenRevoked = await Send(IdentityRequest($"token {token.Token}", clientAddress: "192.0.2.78"));
            Assert.Equal(HttpStatusCode.Unauthorized, tokenRevoked.StatusCode);

            // The badge plugin: success and a wrong PIN; then the session cookie on its own.
            using var badge = await Send(IdentityRequest($"Badge mia:{Pin}", clientAddress: "192.0.2.79"));
            Assert.Equal(HttpStatusCode.OK, badge.StatusCode);
            secrets.Add("wrong-pin-0000");
            using var badPin = await Send(IdentityRequest("Badge mia:wrong-pin-0000", clientAddress: "192.0.2.79"));
            using var withCookie = await Send(IdentityRequest(cookie: CookiePair(SessionCookie(badge)!)));
            Assert.Equal(HttpStatusCode.OK, withCookie.StatusCode);

            // A key rotation, so key material has been generated and handled more than once.
            var root = await auth.AssertionForAsync("root", Password);
            using var rotate = await auth.Client().SendAsync(AsUser(HttpMethod.Post, "/api/identity/keys/rotate", root));
            Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
            foreach (var pem in await AuthDatabase.StoredPrivateKeysAsync(auth.ConnectionString))
            {
                secrets.Add(pem);
                secrets.AddRange(pem.Split('\n').Where(line => line.Length > 20 && !line.StartsWith("-----", StringComparison.Ordinal)));
            }

            var events = await AuthDatabase.DispatchedOutboxAsync(auth.ConnectionString);
            var eventText = string.Join('\n', events.Select(e => e.Body.GetRawText()));
            Assert.Contains("UserAuthenticated", string.Join(',', events.Select(e => e.Type)), StringComparison.Ordinal);
            Assert.Contains("AuthenticationFailed", string.Join(',', events.Select(e => e.Type)), StringComparison.Ordinal);

            var logText = logs.All;
            Assert.True(logs.Count > 100, $"the capture saw the run ({logs.Count} entries)");
            Assert.Contains("Refused", logText, StringComparison.Ordinal);
            Assert.Contains("Authenticated leaktest with jupyterhub", logText, StringComparison.Ordinal);
            Assert.Contains("rotated the identity signing key", logText, StringComparison.Ordinal);
            foreach (var secret in secrets.Distinct())
            {
                Assert.False(logText.Contains(secret, StringComparison.Ordinal), $"a secret of length {secret.Length} starting '{secret[..3]}' is in the logs");
                Assert.False(eventText.Contains(secret, StringComparison.Ordinal), $"a secret of length {secret.Length} starting '{secret[..3]}' is in an event");
                Assert.False(errorBodies.ToString().Contains(secret, StringComparison.Ordinal), $"a secret of length {secret.Length} starting '{secret[..3]}' is in an error body");
            }
        }
    }
}
