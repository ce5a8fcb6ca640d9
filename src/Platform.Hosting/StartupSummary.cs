using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Platform.Hosting;

/// <summary>Once every resource is healthy, the console says where the dashboard, the public API and each service are.</summary>
public sealed class StartupSummary(DistributedApplicationModel model, ResourceNotificationService notifications, IConfiguration configuration)
    : BackgroundService
{
    public const string ReadyLine = "All resources are healthy.";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Parameters never turn healthy, and Aspire's hidden helpers (a project's rebuilder) only run on request.
        await Task.WhenAll(model.Resources.Where(r => r is not ParameterResource).Select(r => notifications.WaitForResourceAsync(
            r.Name, e => e.Snapshot.IsHidden || e.Snapshot.HealthStatus == HealthStatus.Healthy, stoppingToken)));
        Console.WriteLine(Describe());
    }

    private string Describe()
    {
        var text = new StringBuilder().AppendLine().AppendLine(ReadyLine);
        if (configuration["ASPNETCORE_URLS"]?.Split(';')[0] is { Length: > 0 } dashboard)
        {
            var token = configuration["AppHost:BrowserToken"];
            text.AppendLine($"  Dashboard (traces, logs, metrics): {dashboard.TrimEnd('/')}{(token is null ? "" : "/login?t=" + token)}");
        }

        var services = model.Resources.OfType<ProjectResource>().ToList();
        foreach (var service in services)
        {
            var endpoint = service.GetEndpoint("http");
            var label = service.GetEndpoints().Any(e => e.EndpointAnnotation.IsExternal) ? "public API, dashboards and scheduler traffic" : "service";
            text.AppendLine($"  {service.Name,-9} {endpoint.Url}  ({label})");
        }

        if (services.FirstOrDefault(s => s.Name == "proxy") is { } proxy)
        {
            var url = proxy.GetEndpoint("http").Url;
            text.AppendLine("  Connect a Dask client (any user name; the password is the 'simple-password' parameter, shown in the")
                .AppendLine("  dashboard's Parameters or by `dotnet user-secrets list --project AppHost`):")
                .AppendLine($"    python3 -c \"from dask_gateway import Gateway, BasicAuth; g = Gateway('{url}', auth=BasicAuth('alice', '<password>')); print(g.list_clusters())\"");
        }

        return text.Append("  Ctrl+C stops everything.").ToString();
    }
}
