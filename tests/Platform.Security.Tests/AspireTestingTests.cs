using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Platform.Testing;

namespace Platform.Security.Tests;

/// <summary>
/// The AppHost started by Aspire.Hosting.Testing (this suite's running system, started once for the suite rather than
/// once more by the end-to-end suite): every resource is healthy, and the public port asks for credentials, then answers.
/// </summary>
[Collection(SecuritySystemCollection.Name)]
public sealed class AspireTestingTests(SecuritySystem system)
{
    [Fact]
    public async Task Every_resource_is_healthy_and_the_public_port_asks_for_credentials_then_answers()
    {
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var name in RunningSystem<Projects.Platform_AppHost>.Resources)
        {
            await notifications.WaitForResourceHealthyAsync(name, timeout.Token);
        }

        using var anonymous = system.Anonymous();
        using (var challenged = await anonymous.GetAsync(new Uri("/api/v1/clusters/", UriKind.Relative), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, challenged.StatusCode);
        }

        using var alice = system.Basic("alice");
        using var listed = await alice.GetAsync(new Uri("/api/v1/clusters/", UriKind.Relative), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
    }
}
