using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
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
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new ErrorBody(message), ErrorJsonContext.Default.ErrorBody, context.RequestAborted);
    }

    /// <summary>
    /// Unhandled exceptions become a 500 that names only the trace id (details stay in the log); malformed requests
    /// (bad JSON, wrong content type) become their 4xx; empty 4xx/5xx responses get a JSON body.
    /// </summary>
    public static WebApplication UseJsonErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            ExceptionHandler = context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                if (error is BadHttpRequestException bad)
                {
                    return WriteAsync(context, bad.StatusCode, BadRequestMessage(bad));
                }

                var trace = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
                return WriteAsync(context, StatusCodes.Status500InternalServerError, $"Internal error (trace {trace})");
            },
        });
        app.UseStatusCodePages(context => context.HttpContext.Response.ContentLength is null or 0 && !context.HttpContext.Response.HasStarted
            ? WriteAsync(context.HttpContext, context.HttpContext.Response.StatusCode, DefaultMessage(context.HttpContext.Response.StatusCode))
            : Task.CompletedTask);
        return app;
    }

    // BadHttpRequestException messages are written by ASP.NET for the client ("Failed to read parameter ... from the request body as JSON").
    private static string BadRequestMessage(BadHttpRequestException e) =>
        e.InnerException is JsonException json ? $"Invalid JSON body: {json.Message}" : e.Message;

    private static string DefaultMessage(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "Bad request",
        StatusCodes.Status401Unauthorized => "Authentication required",
        StatusCodes.Status403Forbidden => "Forbidden",
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status405MethodNotAllowed => "Method not allowed",
        StatusCodes.Status409Conflict => "Conflict",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
        StatusCodes.Status422UnprocessableEntity => "Unprocessable request",
        StatusCodes.Status429TooManyRequests => "Too many requests",
        >= 500 => "Internal error",
        _ => "Request failed",
    };
}
