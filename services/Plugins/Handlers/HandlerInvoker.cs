using System.Diagnostics;
using Platform.Plugins.Infrastructure;
using Platform.Plugins.IntegrationEvents;
using Platform.Plugins.Loading;
using Platform.Plugins.Sdk.Handlers;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.Plugins.Handlers;

/// <summary>
/// Runs one attempt of a claimed run: on a pool thread, cancelled at the handler's timeout and abandoned if it ignores
/// the token, so a hanging handler costs one of its plugin's slots and nothing else. Decides retry or give-up as kopf does.
/// </summary>
public sealed class HandlerInvoker(PluginHost host, HandlerRunStore runs, TimeProvider time, ILogger<HandlerInvoker> logger)
{
    public async Task InvokeAsync(ClaimedHandlerRun run, CancellationToken stoppingToken)
    {
        var plugin = host.Find(run.Plugin);
        var handler = plugin?.Registrations.Handlers.FirstOrDefault(h => h.Name == run.Handler);
        var startedAt = time.GetUtcNow();
        if (handler is null)
        {
            await runs.CompleteAttemptAsync(run, startedAt, TimeSpan.Zero, new AttemptResult("failed", $"Plugin {run.Plugin} {plugin?.Version} has no handler {run.Handler}.", null, Empty), stoppingToken);
            return;
        }

        ActivityContext.TryParse(run.TraceParent, null, out var parent);
        using var activity = PlatformTelemetry.Source.StartActivity($"plugin handler {run.Plugin}/{run.Handler}", ActivityKind.Internal, parent);
        activity?.SetTag("plugin.name", run.Plugin);
        activity?.SetTag("plugin.version", plugin!.Version);
        activity?.SetTag("plugin.handler", run.Handler);
        activity?.SetTag("cluster.name", run.ClusterName);
        activity?.SetTag("plugin.attempt", run.Attempt);

        var context = new ClusterHandlerContext(
            run.ClusterName,
            run.Owner,
            run.Labels,
            run.Trigger,
            run.FromPhase is null ? null : ClusterEventIntake.ParsePhase(run.FromPhase),
            ClusterEventIntake.ParsePhase(run.Phase),
            run.Attempt)
        {
            Details = run.Details,
        };
        var options = handler.Options;
        var stopwatch = Stopwatch.StartNew();
        AttemptResult result;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            timeout.CancelAfter(options.Timeout);
            try
            {
                await Task.Run(() => handler.Handler(context, timeout.Token), CancellationToken.None).WaitAsync(options.Timeout, stoppingToken);
                result = new AttemptResult("succeeded", null, null, new Dictionary<string, string>(context.Annotations));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // The service is stopping: the run stays claimed and goes back to pending at the next start.
                throw;
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                result = Retry(run, options, "timeout", $"Timed out after {options.Timeout.TotalSeconds:0.###} s.", null);
            }
            catch (PermanentHandlerException e)
            {
                result = new AttemptResult("permanent-error", Describe(e), null, Empty);
            }
            catch (TemporaryHandlerException e)
            {
                result = Retry(run, options, "temporary-error", Describe(e), e.Delay);
            }
            catch (Exception e)
            {
                result = Retry(run, options, "error", Describe(e), null);
            }
        }

        stopwatch.Stop();
        activity?.SetTag("plugin.outcome", result.Outcome);
        if (result.Outcome != "succeeded")
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Error);
            logger.LogWarning(
                "Handler {Plugin}/{Handler} for cluster {Cluster}, attempt {Attempt}: {Outcome} ({Error}){Retry}",
                run.Plugin,
                run.Handler,
                run.ClusterName,
                run.Attempt,
                result.Outcome,
                result.Error,
                result.RetryAt is { } at ? $"; retrying at {at:O}" : "; giving up");
        }

        await runs.CompleteAttemptAsync(run, startedAt, stopwatch.Elapsed, result, CancellationToken.None);
    }

    private static readonly Dictionary<string, string> Empty = [];

    private AttemptResult Retry(ClaimedHandlerRun run, HandlerOptions options, string outcome, string error, TimeSpan? requestedDelay)
    {
        if (run.Attempt >= options.MaxAttempts)
        {
            return new AttemptResult(outcome, $"{error} Gave up after {run.Attempt} attempt(s).", null, Empty);
        }

        return new AttemptResult(outcome, error, time.GetUtcNow() + (requestedDelay ?? options.DelayAfter(run.Attempt)), Empty);
    }

    // The message only: a plugin's stack trace belongs in the log, not in the API.
    private static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";
}
