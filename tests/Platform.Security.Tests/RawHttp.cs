using System.Net.Sockets;
using System.Text;

namespace Platform.Security.Tests;

/// <summary>What came back on a raw connection: nothing (the server closed it), or a status, headers and body.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// HTTP/1.1 written byte by byte on a socket, so a request can be anything (odd verbs, NUL bytes, both framings,
/// a header of 100 KB, no HTTP at all) that HttpClient would refuse to send, and the answer is read as it comes.
/// </summary>
public static class RawHttp
{
    private const int MaxHead = 256 * 1024;
    private static readonly TimeSpan EarlyAnswerWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends <paramref name="request"/> and then <paramref name="padding"/> more body bytes ('a'), half-closes when
    /// <paramref name="halfClose"/>, and reads one response (null when the server closed without one).
    /// </summary>
    public static async Task<RawResponse?> SendAsync(Uri server, byte[] request, long padding, bool halfClose, bool headRequest, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        await socket.ConnectAsync(server.Host, server.Port, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reading = ReadResponseAsync(stream, headRequest, cancellationToken);
        try
        {
            await stream.WriteAsync(request, cancellationToken);
            if (padding > 0)
            {
                // A server refuses a declared size at once; its answer must not be lost to a reset while the body is still going out.
                await Task.WhenAny(reading, Task.Delay(EarlyAnswerWait, cancellationToken));
            }

            var chunk = new byte[64 * 1024];
            chunk.AsSpan().Fill((byte)'a');
            for (var left = padding; left > 0 && !reading.IsCompleted; left -= chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)), cancellationToken);
            }

            if (halfClose)
            {
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (IOException)
        {
            // The server may answer and close before it has read everything (a 413 for a body it will not read).
        }
        catch (SocketException)
        {
        }

        return await reading;
    }

    private static async Task<RawResponse?> ReadResponseAsync(Stream stream, bool headRequest, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var headEnd = IndexOf(buffer, "\r\n\r\n"u8);
            if (headEnd < 0)
            {
                if (buffer.Length > MaxHead)
                {
                    throw new InvalidDataException("A response head over 256 KB");
                }

                var read = await ReadAsync(stream, chunk, cancellationToken);
                if (read == 0)
                {
                    return buffer.Length == 0 ? null : throw new InvalidDataException($"The connection closed inside a response head: {Encoding.ASCII.GetString(buffer.ToArray())}");
                }

                buffer.Write(chunk, 0, read);
                continue;
            }

            var all = buffer.ToArray();
            var lines = Encoding.ASCII.GetString(all, 0, headEnd).Split("\r\n");
            var statusLine = lines[0].Split(' ', 3);
            if (statusLine.Length < 2 || !statusLine[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(statusLine[1], out var status))
            {
                throw new InvalidDataException($"Not an HTTP response: {lines[0]}");
            }

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    var name = line[..colon].Trim();
                    headers[name] = headers.TryGetValue(name, out var earlier) ? $"{earlier}, {line[(colon + 1)..].Trim()}" : line[(colon + 1)..].Trim();
                }
            }

            var rest = new MemoryStream();
            rest.Write(all, headEnd + 4, all.Length - headEnd - 4);
            if (status is >= 100 and < 200)
            {
                // 100 Continue and friends: the real response follows.
                buffer = rest;
                continue;
            }

            byte[] body;
            if (headRequest || status is 204 or 304)
            {
                body = [];
            }
            else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                body = await ReadChunkedAsync(stream, rest, chunk, cancellationToken);
            }
            else if (headers.TryGetValue("Content-Length", out var lengthText) && long.TryParse(lengthText, out var length))
            {
                while (rest.Length < length)
                {
                    var read = await ReadAsync(stream, chunk, cancellationToken);
                    if (read == 0)
                    {
                        throw new InvalidDataException($"The connection closed after {rest.Length} of {length} body bytes");
                    }

                    rest.Write(chunk, 0, read);
                }

                body = rest.ToArray()[..(int)length];
            }
            else
            {
                int read;
                while ((read = await ReadAsync(stream, chunk, cancellationToken)) > 0)
                {
                    rest.Write(chunk, 0, read);
                }

                body = rest.ToArray();
            }

            return new RawResponse(status, headers, body);
        }
    }

    private static async Task<byte[]> ReadChunkedAsync(Stream stream, MemoryStream pending, byte[] chunk, CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        var data = pending;
        while (true)
        {
            int lineEnd;
            while ((lineEnd = IndexOf(data, "\r\n"u8)) < 0)
            {
                data = await MoreAsync(stream, data, chunk, cancellationToken);
            }

            var bytes = data.ToArray();
            var sizeText = Encoding.ASCII.GetString(bytes, 0, lineEnd).Split(';')[0].Trim();
            var size = Convert.ToInt32(sizeText, 16);
            var remaining = new MemoryStream();
            remaining.Write(bytes, lineEnd + 2, bytes.Length - lineEnd - 2);
            data = remaining;
            while (data.Length < size + 2)
            {
                data = await MoreAsync(stream, data, chunk, cancellationToken);
            }

            bytes = data.ToArray();
            if (size == 0)
            {
                return body.ToArray();
            }

            body.Write(bytes, 0, size);
            remaining = new MemoryStream();
            remaining.Write(bytes, size + 2, bytes.Length - size - 2);
            data = remaining;
        }
    }

    private static async Task<MemoryStream> MoreAsync(Stream stream, MemoryStream data, byte[] chunk, CancellationToken cancellationToken)
    {
        var read = await ReadAsync(stream, chunk, cancellationToken);
        if (read == 0)
        {
            throw new InvalidDataException("The connection closed inside a chunked body");
        }

        data.Write(chunk, 0, read);
        return data;
    }

    // A reset after the response is the server refusing to read more of a body: the same as the end of the stream.
    private static async Task<int> ReadAsync(Stream stream, byte[] chunk, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadAsync(chunk, cancellationToken);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return 0;
        }
    }

    private static int IndexOf(MemoryStream stream, ReadOnlySpan<byte> value) =>
        stream.GetBuffer().AsSpan(0, (int)stream.Length).IndexOf(value);
}
