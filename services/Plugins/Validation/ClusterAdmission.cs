using Microsoft.Extensions.Options;
using Platform.Contracts.Plugins;
using Platform.Plugins.Loading;
using Platform.Plugins.Model;
using Platform.Plugins.Sdk.Validation;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.Plugins.Validation;

/// <summary>
/// Asks every active plugin's validators, concurrently and each within its timeout, whether a create or scale may
/// go ahead (Kubernetes admission webhooks). The first refusal, by plugin name, is the answer; a validator that throws or
/// times out counts as a refusal unless <c>Plugins:Validators:FailOpen</c> is set.
/// </summary>
public sealed class ClusterAdmission(PluginHost host, IOptions<PluginSettings> settings, ILogger<ClusterAdmission> logger)
{
    public async Task<ClusterValidationResponse> ValidateAsync(ClusterValidationRequest request, CancellationToken cancellationToken)
    {
        var operation = request.Operation.ToLowerInvariant() switch
        {
            "scale" => ValidationOperation.Scale,
            "adapt" => ValidationOperation.Adapt,
            _ => ValidationOperation.Create,
        };
        var question = new ValidationRequest(operation, request.ClusterName, request.Owner, request.Labels, request.Options, request.Workers);
        var validators = host.Active
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .SelectMany(p => p.Registrations.Validators.Select(v => (Plugin: p.Name, Validator: v)))
            .ToList();
        var verdicts = await Task.WhenAll(validators.Select(v => AskAsync(v.Plugin, v.Validator, question, cancellationToken)));
        for (var i = 0; i < verdicts.Length; i++)
        {
            if (!verdicts[i].Allowed)
            {
                return new ClusterValidationResponse(false, verdicts[i].Message, validators[i].Plugin);
            }
        }

        return new ClusterValidationResponse(true, null, null);
    }

    private async Task<ValidationVerdict> AskAsync(string plugin, ValidatorRegistration validator, ValidationRequest question, CancellationToken cancellationToken)
    {
        var timeout = validator.Timeout ?? settings.Value.Validators.Timeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        string failure;
        string cause;
        try
        {
            return await Task.Run(() => validator.Validator(question, deadline.Token).AsTask(), CancellationToken.None).WaitAsync(timeout, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            failure = $"did not answer within {timeout.TotalSeconds:0.###} s";
            cause = "validator_timeout";
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Validator {Plugin}/{Validator} failed", plugin, validator.Name);
            failure = $"failed ({e.GetType().Name})";
            cause = "validator_failed";
        }

        var failOpen = settings.Value.Validators.FailOpen;
        logger.LogWarning("Validator {Plugin}/{Validator} {Failure}; {Decision}", plugin, validator.Name, failure, failOpen ? "allowing (fail-open)" : "refusing (fail-closed)");
        if (failOpen)
        {
            PlatformTelemetry.ValidationBypassed.Add(1, new("operation", question.Operation.ToString().ToLowerInvariant()), new("cause", cause), new("plugin", plugin));
        }

        return failOpen ? ValidationVerdict.Allow : ValidationVerdict.Refuse($"Validator {validator.Name} of plugin {plugin} {failure}; the request is refused until it answers.");
    }
}
