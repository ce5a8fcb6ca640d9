using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Platform.ServiceDefaults.Errors;

/// <summary>
/// Refuses, before anything reads the body, requests whose body cannot be read as declared: a declared length over
/// the server's body limit (413 at once, not after the upload; the connection is then closed rather than drained) or
/// a charset no decoder knows (415). Kestrel itself frames a request carrying both <c>Transfer-Encoding</c> and
/// <c>Content-Length</c> by the former alone (RFC 9112 §6.3), so a body that is not really chunked fails as a 400.
/// </summary>
internal sealed class RequestFraming(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength is { } length
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            && length > limit)
        {
            return RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the limit of {limit} bytes", closeConnection: true);
        }

        // A charset parameter that is present but empty ("charset=") is no more decodable than a bogus one.
        if (string.IsNullOrEmpty(request.ContentType) || !MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.Parameters.Any(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)))
        {
            return next(context);
        }

        if (UnknownCharset(mediaType) is { } charset)
        {
            return RefuseAsync(context, StatusCodes.Status415UnsupportedMediaType, $"Unsupported charset '{charset}'", closeConnection: false);
        }

        // ASP.NET's JSON reader looks up a quoted charset ("utf-8") as written, quotes included, and fails.
        if (HeaderUtilities.RemoveQuotes(mediaType.Charset) != mediaType.Charset)
        {
            mediaType.Charset = HeaderUtilities.RemoveQuotes(mediaType.Charset);
            request.ContentType = mediaType.ToString();
        }

        return next(context);
    }

    /// <summary>The charset a Content-Type names when no decoder exists for it; null when it is known.</summary>
    private static string? UnknownCharset(MediaTypeHeaderValue mediaType)
    {
        var charset = HeaderUtilities.RemoveQuotes(mediaType.Charset).Value ?? "";
        try
        {
            Encoding.GetEncoding(charset);
            return null;
        }
        catch (ArgumentException)
        {
            // Echoed back to the client: printable ASCII only, and short.
            var shown = new string([.. charset.Take(40).Select(c => c is >= ' ' and <= '~' ? c : '?')]);
            return shown;
        }
    }

    private static Task RefuseAsync(HttpContext context, int status, string message, bool closeConnection)
    {
        if (closeConnection)
        {
            context.Response.Headers.Connection = "close";
        }

        return JsonErrors.WriteAsync(context, status, message);
    }
}
