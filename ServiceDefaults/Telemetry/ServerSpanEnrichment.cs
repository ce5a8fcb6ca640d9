using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary>
/// Gives ASP.NET Core's server span the OpenTelemetry HTTP semantic-convention name and tags
/// (the instrumentation package that usually does this is not in the feed).
/// </summary>
internal sealed class ServerSpanEnrichment(RequestDelegate next)
{
    private static readonly PathString[] ProbePaths = ["/health", "/alive"];

    public async Task InvokeAsync(HttpContext context)
    {
        var activity = Activity.Current;
        if (activity is null || activity.Source.Name != "Microsoft.AspNetCore")
        {
            await next(context);
            return;
        }

        if (ProbePaths.Any(p => context.Request.Path.StartsWithSegments(p)))
        {
            // Probes run every second or two; recording them would bury real traffic in the trace view.
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            activity.IsAllDataRequested = false;
        }

        activity.SetTag("http.request.method", context.Request.Method);
        activity.SetTag("url.scheme", context.Request.Scheme);
        activity.SetTag("url.path", context.Request.Path.Value);
        activity.SetTag("server.address", context.Request.Host.Host);
        if (context.Request.Host.Port is { } port)
        {
            activity.SetTag("server.port", port);
        }

        try
        {
            await next(context);
        }
        catch
        {
            Complete(activity, context, StatusCodes.Status500InternalServerError);
            throw;
        }

        Complete(activity, context, context.Response.StatusCode);
    }

    private static void Complete(Activity activity, HttpContext context, int status)
    {
        if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route })
        {
            activity.SetTag("http.route", route);
            activity.DisplayName = $"{context.Request.Method} {route}";
        }
        else
        {
            activity.DisplayName = context.Request.Method;
        }

        activity.SetTag("http.response.status_code", status);
        if (status >= 500)
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }
}
