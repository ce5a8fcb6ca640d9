extern alias clusters;

using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ClustersProgram = clusters::Program;
using PluginValidationClient = clusters::Platform.Clusters.Infrastructure.PluginValidationClient;

namespace Platform.Plugins.Tests.Support;

/// <summary>
/// The real Clusters service in memory (real Dask processes, its own database), asking plugin validators at
/// <c>Clusters:Validation:Url</c>; its logs are also kept in a <see cref="Microsoft.Extensions.Logging.Testing.FakeLogCollector"/>.
/// </summary>
public static class ClustersServiceHost
{
    public static async Task<WebApplicationFactory<ClustersProgram>> StartAsync(
        InfrastructureFixture infrastructure, TestIdentity identity, string serviceName, string dataPath, IReadOnlyDictionary<string, string?> validation, HttpMessageHandler? plugins = null)
    {
        var settings = new Dictionary<string, string?>(identity.Configuration)
        {
            ["ConnectionStrings:clustersdb"] = await infrastructure.CreateDatabaseAsync("clustersdb"),
            ["ConnectionStrings:messaging"] = infrastructure.RabbitMq.ConnectionString,
            ["Platform:ServiceName"] = serviceName,
            ["Messaging:Outbox:PollInterval"] = "00:00:00.200",
            ["Clusters:DataDirectory"] = dataPath,
            ["Clusters:StopClustersOnShutdown"] = "true",
            ["Clusters:ReconcileInterval"] = "00:00:00.300",
            ["Clusters:StopGracePeriod"] = "00:00:05",
        };
        foreach (var (key, value) in validation)
        {
            settings[$"Clusters:Validation:{key}"] = value;
        }

        return new WebApplicationFactory<ClustersProgram>().WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureTestServices(services =>
            {
                services.AddLogging(logging => logging.AddFakeLogging());
                if (plugins is not null)
                {
                    // Clusters calls the in-memory Plugins service as it would call http://plugins.
                    services.AddHttpClient<PluginValidationClient>().ConfigurePrimaryHttpMessageHandler(() => plugins);
                }
            });
        });
    }

    /// <summary>Sends a request as <paramref name="user"/> and asserts the status; the JSON answer, if any.</summary>
    public static Task<JsonElement> JsonAsync(HttpClient clusters, TestIdentity identity, HttpMethod method, string path, object? body, HttpStatusCode expected, string user) =>
        new ServiceApiClient(clusters, identity, user).JsonAsync(method, path, body, expected);
}
