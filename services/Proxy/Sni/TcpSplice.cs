using System.IO.Pipelines;
using System.Net.Sockets;

namespace Platform.Proxy.Sni;

/// <summary>
/// Copies bytes both ways between a client connection (Kestrel's pipes) and a scheduler socket, untouched: the TLS
/// session is between the Dask client and its scheduler. Reads go straight into the pipe's memory and writes straight
/// from it, so each byte is copied once per direction.
/// </summary>
public static class TcpSplice
{
    /// <summary>Once one side has finished, how long the other may take to drain before the connection is cut.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private const int MinimumReadSize = 64 * 1024;

    /// <param name="clientSocket">The client's socket when the transport exposes it: the scheduler's bytes are then sent
    /// to it directly, skipping the output pipe's copy and thread hop (the pipe stays idle, so nothing interleaves).</param>
    public static async Task RunAsync(IDuplexPipe client, Socket? clientSocket, Socket backend, CancellationToken cancellationToken)
    {
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var upstream = ClientToBackendAsync(client.Input, backend, cut.Token);
        var downstream = clientSocket is null
            ? BackendToClientAsync(backend, client.Output, cut.Token)
            : BackendToSocketAsync(backend, clientSocket, cut.Token);

        var first = await Task.WhenAny(upstream, downstream);
        if (first == upstream)
        {
            // The client finished sending: tell the scheduler, and let its remaining answer through.
            ShutdownQuietly(backend, SocketShutdown.Send);
        }
        else
        {
            client.Input.CancelPendingRead();
        }

        cut.CancelAfter(DrainTimeout);
        try
        {
            await Task.WhenAll(upstream, downstream);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task ClientToBackendAsync(PipeReader input, Socket backend, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    var sent = 0;
                    while (sent < segment.Length)
                    {
                        sent += await backend.SendAsync(segment[sent..], SocketFlags.None, cancellationToken);
                    }
                }

                input.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static async Task BackendToClientAsync(Socket backend, PipeWriter output, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var memory = output.GetMemory(MinimumReadSize);
                var read = await backend.ReceiveAsync(memory, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                output.Advance(read);
                var flush = await output.FlushAsync(cancellationToken);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            await output.CompleteAsync();
        }
    }

    private static async Task BackendToSocketAsync(Socket backend, Socket client, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(MinimumReadSize);
        try
        {
            while (true)
            {
                var read = await backend.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += await client.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, cancellationToken);
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            ShutdownQuietly(client, SocketShutdown.Send);
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void ShutdownQuietly(Socket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
