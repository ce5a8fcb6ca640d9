using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Platform.Testing;

/// <summary>What came back on a raw connection: nothing (the server closed it), or a status, headers and body.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// HTTP/1.1 written byte by byte on a socket, so a request can be anything (odd verbs, NUL bytes, both framings,
/// a header of 100 KB, pipelined requests, no HTTP at all) that HttpClient would refuse to send, and the answer is read as it comes.
/// </summary>
public static class RawHttp
{
    private const int MaxHead = 256 * 1024;
    private static readonly TimeSpan EarlyAnswerWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Sends <paramref name="request"/> and then <paramref name="padding"/> more body bytes ('a'), half-closes when
    /// <paramref name="halfClose"/>, and reads one response (null when the server closed without one). Before the
    /// padding goes out, the server has a few seconds to answer the head alone.
    /// </summary>
    public static Task<RawResponse?> SendAsync(Uri server, byte[] request, long padding, bool halfClose, bool headRequest, CancellationToken cancellationToken) =>
        SendAsync(server, request, new Padding(padding, Chunked: false, EarlyAnswerWait), halfClose, headRequest, cancellationToken);

    /// <summary>
    /// Sends <paramref name="request"/> to 127.0.0.1:<paramref name="port"/> and at once <paramref name="padding"/> more
    /// body bytes, in 64 KiB chunks when <paramref name="chunked"/>; the one response, which must come within 30 s.
    /// </summary>
    public static async Task<RawResponse> SendAsync(int port, string request, long padding = 0, bool chunked = false)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var response = await SendAsync(Local(port), Encoding.ASCII.GetBytes(request), new Padding(padding, chunked, TimeSpan.Zero), halfClose: false, headRequest: false, timeout.Token);
        Assert.True(response is not null, "The server closed the connection without a response.");
        return response;
    }

    /// <summary>Sends pipelined requests to 127.0.0.1:<paramref name="port"/>; every response until the server closes the connection.</summary>
    public static async Task<IReadOnlyList<RawResponse>> SendPipelinedAsync(int port, string requests)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var socket = await ConnectAsync(Local(port), timeout.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(requests), timeout.Token);
        var responses = new List<RawResponse>();
        var pending = new MemoryStream();
        while (await ReadResponseAsync(stream, pending, headRequest: false, timeout.Token) is { } response)
        {
            responses.Add(response);
        }

        return responses;
    }

    private sealed record Padding(long Bytes, bool Chunked, TimeSpan EarlyAnswerWait);

    private static Uri Local(int port) => new($"http://127.0.0.1:{port}");

    private static async Task<Socket> ConnectAsync(Uri server, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<RawResponse?> SendAsync(Uri server, byte[] request, Padding padding, bool halfClose, bool headRequest, CancellationToken cancellationToken)
    {
        using var socket = await ConnectAsync(server, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reading = ReadResponseAsync(stream, new MemoryStream(), headRequest, cancellationToken);
        try
        {
            await stream.WriteAsync(request, cancellationToken);
            if (padding.Bytes > 0 && padding.EarlyAnswerWait > TimeSpan.Zero)
            {
                // A server refuses a declared size at once; its answer must not be lost to a reset while the body is still going out.
                await Task.WhenAny(reading, Task.Delay(padding.EarlyAnswerWait, cancellationToken));
            }

            var chunk = new byte[64 * 1024];
            chunk.AsSpan().Fill((byte)'a');
            var chunkHeader = Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n");
            for (var left = padding.Bytes; left > 0 && !reading.IsCompleted; left -= chunk.Length)
            {
                if (padding.Chunked)
                {
                    await stream.WriteAsync(chunkHeader, cancellationToken);
                    await stream.WriteAsync(chunk, cancellationToken);
                    await stream.WriteAsync("\r\n"u8.ToArray(), cancellationToken);
                }
                else
                {
                    await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)), cancellationToken);
                }
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

    /// <summary>Reads one response, starting with the bytes in <paramref name="pending"/>; leaves there what follows it.</summary>
    private static async Task<RawResponse?> ReadResponseAsync(Stream stream, MemoryStream pending, bool headRequest, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var buffer = pending;
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
                (body, rest) = await ReadChunkedAsync(stream, rest, chunk, cancellationToken);
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

                var received = rest.ToArray();
                body = received[..(int)length];
                rest = new MemoryStream();
                rest.Write(received, (int)length, received.Length - (int)length);
            }
            else
            {
                int read;
                while ((read = await ReadAsync(stream, chunk, cancellationToken)) > 0)
                {
                    rest.Write(chunk, 0, read);
                }

                body = rest.ToArray();
                rest = new MemoryStream();
            }

            // What follows this response (a pipelined one) stays for the next read.
            pending.SetLength(0);
            rest.WriteTo(pending);
            return new RawResponse(status, headers, body);
        }
    }

    private static async Task<(byte[] Body, MemoryStream Following)> ReadChunkedAsync(Stream stream, MemoryStream pending, byte[] chunk, CancellationToken cancellationToken)
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
            body.Write(bytes, 0, size);
            remaining = new MemoryStream();
            remaining.Write(bytes, size + 2, bytes.Length - size - 2);
            data = remaining;
            if (size == 0)
            {
                return (body.ToArray(), data);
            }
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
