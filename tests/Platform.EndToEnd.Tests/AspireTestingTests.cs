using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting.Infrastructure;
using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>The AppHost started by Aspire.Hosting.Testing: every resource turns healthy and the public port answers.</summary>
public sealed class AspireTestingTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(10);

    private readonly TestDirectory directory = new("platform-aspire-testing");

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task Every_resource_turns_healthy_and_the_public_port_asks_for_credentials_then_answers()
    {
        var publicPort = FreePort.Pick();
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Platform_AppHost>(
        [
            $"--Platform:DataDirectory={Path.Combine(directory.Path, "data")}",
            $"--Platform:PublicPort={publicPort}",
            $"--Parameters:simple-password={AppHostProcess.SimplePassword}",
        ]);
        await using var app = await appHost.BuildAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        await app.StartAsync(timeout.Token);

        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        foreach (var name in new[] { "postgres", "authdb", "clustersdb", "webhooksdb", "pluginsdb", "messaging", "objects", "auth", "clusters", "webhooks", "plugins", "proxy" })
        {
            await notifications.WaitForResourceHealthyAsync(name, timeout.Token);
        }

        // Aspire.Hosting.Testing may move even fixed ports; the endpoint says where the Proxy listens.
        using var http = new HttpClient { BaseAddress = app.GetEndpoint("proxy", "http") };
        using (var anonymous = await http.GetAsync(new Uri("/api/v1/clusters/", UriKind.Relative), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/v1/clusters/", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{AppHostProcess.SimplePassword}")));
        using var listed = await http.SendAsync(request, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
    }
}
