using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Platform.Contracts.Plugins;
using Platform.ServiceDefaults.Configuration;
using Platform.ServiceDefaults.Identity;
using Platform.ServiceDefaults.Telemetry;

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

/// <summary>What the validators decided: allowed, refused by a plugin (422), or unknown because Plugins did not answer (503).</summary>
public sealed record ValidationOutcome(ValidationDecision Decision, string? Message)
{
    public static readonly ValidationOutcome Allowed = new(ValidationDecision.Allowed, null);
}

public enum ValidationDecision
{
    Allowed,
    Refused,
    Unavailable,
}

/// <summary>Asks the Plugins service's validators, as the calling user (their identity assertion is forwarded).</summary>
public sealed class PluginValidationClient(HttpClient http, IOptions<ClusterValidationSettings> options, IConfiguration configuration, ILogger<PluginValidationClient> logger)
{
    private readonly Uri? endpoint = options.Value.Url ?? (configuration.HasServiceEndpoint("plugins") ? new Uri("http://plugins") : null);

    public async Task<ValidationOutcome> ValidateAsync(ClusterValidationRequest request, string? identityAssertion, CancellationToken cancellationToken)
    {
        if (endpoint is null)
        {
            return ValidationOutcome.Allowed;
        }

        var settings = options.Value;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.Timeout);
        string cause;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "/internal/plugins/validate")) { Content = JsonContent.Create(request) };
            if (identityAssertion is not null)
            {
                message.Headers.Add(PlatformIdentity.HeaderName, identityAssertion);
            }

            using var response = await http.SendAsync(message, deadline.Token);
            response.EnsureSuccessStatusCode();
            var verdict = await response.Content.ReadFromJsonAsync<ClusterValidationResponse>(deadline.Token)
                ?? throw new InvalidOperationException("The Plugins service answered with an empty body.");
            return verdict.Allowed ? ValidationOutcome.Allowed : new ValidationOutcome(ValidationDecision.Refused, verdict.Message ?? "Refused by a plugin's validator");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            cause = $"did not answer within {settings.Timeout.TotalSeconds:0.###} s";
        }
        catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The exception's own message names the internal address; the user is told only what happened.
            cause = e.StatusCode is { } status ? $"answered {(int)status}" : "could not be reached";
            logger.LogDebug(e, "Asking the Plugins service failed");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is InvalidOperationException or System.Text.Json.JsonException)
        {
            cause = "answered with a body that is not a verdict";
            logger.LogDebug(e, "Asking the Plugins service failed");
        }

        if (settings.FailOpen)
        {
            // The operator chose availability over policy: the bypass is a warning in the log and a counter on /metrics.
            logger.LogWarning("Plugin validators were not asked before a {Operation}: the Plugins service {Cause}; allowing it (fail-open)", request.Operation, cause);
            PlatformTelemetry.ValidationBypassed.Add(1, new("operation", request.Operation), new("cause", "plugins_unavailable"));
            return ValidationOutcome.Allowed;
        }

        logger.LogWarning("Plugin validators were not asked before a {Operation}: the Plugins service {Cause}; refusing it (fail-closed)", request.Operation, cause);
        return new ValidationOutcome(
            ValidationDecision.Unavailable,
            $"Cluster validation is unavailable: the Plugins service {cause}. The {request.Operation} is refused until it answers; try again shortly.");
    }
}
