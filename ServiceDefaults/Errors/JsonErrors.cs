using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.Errors;

/// <summary>The one error shape every service returns: <c>{"error": "…"}</c> (what the dask-gateway client reads).</summary>
public sealed record ErrorBody([property: JsonPropertyName("error")] string Error);

[JsonSerializable(typeof(ErrorBody))]
public sealed partial class ErrorJsonContext : JsonSerializerContext;

public static class JsonErrors
{
    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        // With its length, so the response is one unchunked write that clients and proxies read the same way.
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(message), ErrorJsonContext.Default.ErrorBody);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    /// <summary>
    /// Unhandled exceptions become a 500 that names only the trace id (details stay in the log); malformed requests
    /// (bad JSON, wrong content type) become their 4xx, logged at Debug as the client's mistake; empty 4xx/5xx
    /// responses get a JSON body; requests that cannot be read as framed (<see cref="RequestFraming"/>) are refused first.
    /// </summary>
    public static WebApplication UseJsonErrors(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(JsonErrors).FullName!);
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                _ when IsDatabaseUnavailable(e) => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            },
            // The middleware would log a client's malformed body, or each request while the database is away, at Error
            // with a stack trace; they are logged below instead.
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException || IsDatabaseUnavailable(c.Exception),
            ExceptionHandler = context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                if (error is BadHttpRequestException bad)
                {
                    logger.LogDebug("Refused a malformed {Method} {Path}: {Status} {Reason}", context.Request.Method, context.Request.Path.Value, bad.StatusCode, BadRequestMessage(bad));
                    return WriteAsync(context, bad.StatusCode, BadRequestMessage(bad));
                }

                if (error is not null && IsDatabaseUnavailable(error))
                {
                    // A fault of the moment, not a bug: the client is told to come back, as the restart brings it back.
                    logger.LogWarning("{Method} {Path} answered 503: the database is unavailable ({Error})", context.Request.Method, context.Request.Path.Value, error.Message);
                    context.Response.Headers.RetryAfter = "5";
                    return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service temporarily unavailable: its database cannot be reached; try again shortly");
                }

                var trace = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
                return WriteAsync(context, StatusCodes.Status500InternalServerError, $"Internal error (trace {trace})");
            },
        });
        app.UseStatusCodePages(context => context.HttpContext.Response.ContentLength is null or 0 && !context.HttpContext.Response.HasStarted
            ? WriteAsync(context.HttpContext, context.HttpContext.Response.StatusCode, DefaultMessage(context.HttpContext.Response.StatusCode))
            : Task.CompletedTask);
        app.UseMiddleware<RequestFraming>();
        return app;
    }

    /// <summary>The database cannot be reached (refused, reset, timed out): Npgsql's transient failures.</summary>
    private static bool IsDatabaseUnavailable(Exception error) => error is Npgsql.NpgsqlException { IsTransient: true };

    // BadHttpRequestException messages are written by ASP.NET for the client ("Failed to read parameter ... from the request body as JSON").
    private static string BadRequestMessage(BadHttpRequestException e) =>
        e.InnerException is JsonException json ? $"Invalid JSON body: {json.Message}" : e.Message;

    internal static string DefaultMessage(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "Bad request",
        StatusCodes.Status401Unauthorized => "Authentication required",
        StatusCodes.Status403Forbidden => "Forbidden",
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status405MethodNotAllowed => "Method not allowed",
        StatusCodes.Status408RequestTimeout => "Request timeout",
        StatusCodes.Status409Conflict => "Conflict",
        StatusCodes.Status411LengthRequired => "Length required",
        StatusCodes.Status413PayloadTooLarge => "Request body too large",
        StatusCodes.Status414UriTooLong => "Request line too long",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
        StatusCodes.Status422UnprocessableEntity => "Unprocessable request",
        StatusCodes.Status429TooManyRequests => "Too many requests",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "Request headers too large",
        >= 500 => "Internal error",
        _ => "Request failed",
    };
}
