using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Platform.Contracts.Plugins;
using Platform.ServiceDefaults.Configuration;
using Platform.ServiceDefaults.Identity;

namespace Platform.Clusters.Infrastructure;

/// <summary>
/// <c>Clusters:Validation:*</c>: where the Plugins service's validators are asked before a create, scale or adapt (none: no
/// validation), how long to wait, and what an unreachable Plugins service means.
/// </summary>
public sealed class ClusterValidationSettings
{
    public const string SectionName = "Clusters:Validation";

    /// <summary>The Plugins service's base address; when unset, <c>http://plugins</c> if service discovery knows it.</summary>
    public Uri? Url { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>True: allow when Plugins does not answer; false (default, as Kubernetes' failurePolicy: Fail): refuse.</summary>
    public bool FailOpen { get; set; }
}

/// <summary>Asks the Plugins service's validators, as the calling user (their identity assertion is forwarded).</summary>
public sealed class PluginValidationClient(HttpClient http, IOptions<ClusterValidationSettings> options, IConfiguration configuration, ILogger<PluginValidationClient> logger)
{
    private readonly Uri? endpoint = options.Value.Url ?? (configuration.HasServiceEndpoint("plugins") ? new Uri("http://plugins") : null);

    public async Task<ClusterValidationResponse> ValidateAsync(ClusterValidationRequest request, string? identityAssertion, CancellationToken cancellationToken)
    {
        if (endpoint is null)
        {
            return new ClusterValidationResponse(true, null, null);
        }

        var settings = options.Value;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.Timeout);
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "/internal/plugins/validate")) { Content = JsonContent.Create(request) };
            if (identityAssertion is not null)
            {
                message.Headers.Add(PlatformIdentity.HeaderName, identityAssertion);
            }

            using var response = await http.SendAsync(message, deadline.Token);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<ClusterValidationResponse>(deadline.Token)
                ?? throw new InvalidOperationException("The Plugins service answered with an empty body.");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or InvalidOperationException or System.Text.Json.JsonException)
        {
            logger.LogWarning(e, "Plugin validators could not be asked ({Operation}); {Decision}", request.Operation, settings.FailOpen ? "allowing (fail-open)" : "refusing (fail-closed)");
            return settings.FailOpen
                ? new ClusterValidationResponse(true, null, null)
                : new ClusterValidationResponse(false, "Cluster validation by plugins is unavailable; try again shortly.", null);
        }
    }
}
