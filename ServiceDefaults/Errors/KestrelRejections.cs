using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Platform.ServiceDefaults.Errors;

/// <summary>
/// Requests Kestrel refuses while parsing (a malformed request line 400, a line too long 414, headers too large 431)
/// never reach the middleware pipeline, and Kestrel answers them with an empty body. This gives them the platform's
/// <c>{"error": "…"}</c> body: Kestrel reports each refusal on its diagnostic source before writing it, and a
/// connection middleware rewrites that one empty response on its way out.
/// </summary>
public static class KestrelRejections
{
    private const string BadRequestEvent = "Microsoft.AspNetCore.Server.Kestrel.BadRequest";
    private static readonly ConcurrentDictionary<string, RejectionWriter> Connections = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<DiagnosticListener, IDisposable> Subscribed = new();

    /// <summary>Adds the rewrite to an endpoint; call after <c>UseHttps</c> so it sees the plain HTTP bytes.</summary>
    public static ListenOptions UseJsonRejections(this ListenOptions listen)
    {
        // Kestrel writes its refusals on the host's own listener, the one it was built with.
        if (listen.ApplicationServices.GetService(typeof(DiagnosticListener)) is DiagnosticListener listener)
        {
            Subscribed.GetOrAdd(listener, l => l.Subscribe(new Observer(), name => name == BadRequestEvent));
        }

        listen.Use(next => async connection =>
        {
            var writer = new RejectionWriter(connection.Transport.Output);
            var transport = connection.Transport;
            connection.Transport = new DuplexPipe(transport.Input, writer);
            Connections[connection.ConnectionId] = writer;
            try
            {
                await next(connection);
            }
            finally
            {
                Connections.TryRemove(connection.ConnectionId, out _);
                connection.Transport = transport;
            }
        });
        return listen;
    }

    private sealed class Observer : IObserver<KeyValuePair<string, object?>>
    {
        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Key == BadRequestEvent
                && value.Value is IFeatureCollection features
                && features.Get<IHttpConnectionFeature>()?.ConnectionId is { } id
                && Connections.TryGetValue(id, out var writer))
            {
                var error = features.Get<IBadRequestExceptionFeature>()?.Error;
                writer.Rejecting(error is Microsoft.AspNetCore.Http.BadHttpRequestException bad ? bad.Message : null);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>Passes every write through, except the one response written after Kestrel reported a refusal.</summary>
    private sealed class RejectionWriter(PipeWriter inner) : PipeWriter
    {
        private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
        private static readonly byte[] EmptyBody = "\r\nContent-Length: 0\r\n"u8.ToArray();
        private ArrayBufferWriter<byte>? held;
        private string? reason;

        public void Rejecting(string? message)
        {
            reason = message;
            held = new ArrayBufferWriter<byte>(512);
        }

        public override void Advance(int bytes)
        {
            if (held is not null)
            {
                held.Advance(bytes);
                return;
            }

            inner.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => held?.GetMemory(sizeHint) ?? inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => held is not null ? held.GetSpan(sizeHint) : inner.GetSpan(sizeHint);

        // Kestrel's response writer asks its transport for these; System.Text.Json then flushes large bodies by them.
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => held is not null ? held.WrittenCount : inner.UnflushedBytes;

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Release();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            Release();
            return inner.CompleteAsync(exception);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Release();
            return inner.FlushAsync(cancellationToken);
        }

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            if (held is not null)
            {
                held.Write(source.Span);
                return FlushAsync(cancellationToken);
            }

            return inner.WriteAsync(source, cancellationToken);
        }

        // The held bytes go out rewritten when they are exactly an empty-bodied response, unchanged otherwise.
        private void Release()
        {
            if (held is not { } bytes)
            {
                return;
            }

            held = null;
            inner.Write(Rewrite(bytes.WrittenSpan, reason));
        }

        private static ReadOnlySpan<byte> Rewrite(ReadOnlySpan<byte> response, string? reason)
        {
            var headerEnd = response.IndexOf(HeaderEnd);
            var emptyBody = response.IndexOf(EmptyBody);
            if (!response.StartsWith("HTTP/1."u8) || headerEnd != response.Length - HeaderEnd.Length || emptyBody < 0 || emptyBody > headerEnd
                || !int.TryParse(response.Slice(9, 3), out var status))
            {
                return response;
            }

            var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(Message(status, reason)), ErrorJsonContext.Default.ErrorBody);
            var builder = new ArrayBufferWriter<byte>(response.Length + body.Length + 64);
            builder.Write(response[..emptyBody]);
            builder.Write(Encoding.ASCII.GetBytes($"\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n"));
            builder.Write(response[(emptyBody + EmptyBody.Length)..]);
            builder.Write(body);
            return builder.WrittenSpan;
        }

        // Kestrel's messages may quote the request ("Invalid request line: '…'"): only the part before the quote is kept.
        private static string Message(int status, string? reason)
        {
            var kind = reason?.Split(':', 2)[0].Trim().TrimEnd('.');
            return status == 400 && !string.IsNullOrEmpty(kind) && !kind.Contains('\'', StringComparison.Ordinal) ? kind : JsonErrors.DefaultMessage(status);
        }
    }
}
