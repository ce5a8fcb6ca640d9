using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Auth.Tests.Support;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

/// <summary>
/// Auth's database away for a while (PostgreSQL restarting, as the fault suite does with SIGKILL): Auth keeps running
/// and answers again once it is back, instead of a periodic task's error stopping the whole host.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class DatabaseOutageTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Auth_keeps_running_while_its_database_refuses_connections_and_serves_again_after()
    {
        await using var auth = await StartAsync(infrastructure, new Dictionary<string, string?>
        {
            ["Auth:Simple:Password"] = "simple-password",
            ["Auth:PluginSyncInterval"] = "00:00:00.100",
        });
        var lifetime = auth.Services.GetRequiredService<IHostApplicationLifetime>();
        await using (await DatabaseOutage.BeginAsync(infrastructure.Postgres, auth.ConnectionString))
        {
            // Ten plugin-sync rounds against a database that refuses every connection.
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "Auth stopped itself during the database outage");
        }

        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await auth.Client().SendAsync(IdentityRequest(Basic("ann", "simple-password")));
                return response.StatusCode == HttpStatusCode.OK;
            },
            TimeSpan.FromSeconds(30),
            "a login after the database is back");
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
    }
}
