using System.Buffers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Platform.Proxy.Routing;

namespace Platform.Proxy.Sni;

/// <summary>
/// Kestrel connection middleware in front of HTTP: peeks at the first bytes without consuming them. A TLS ClientHello
/// naming <c>daskgateway-&lt;cluster&gt;</c> is spliced to that cluster's scheduler; anything else continues to HTTP
/// (or HTTPS), except on an SNI-only port, where it is closed.
/// </summary>
public sealed class SniRouter(RouteTable routes, ILogger<SniRouter> logger)
{
    /// <summary>A client that has not finished its hello by then is not a Dask client; HTTP gets Kestrel's own limits.</summary>
    public static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <param name="next">The HTTP pipeline, or null on an SNI-only port.</param>
    /// <param name="otherTlsToNext">Whether a TLS hello that names no cluster goes on (to Kestrel's HTTPS).</param>
    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate? next, bool otherTlsToNext)
    {
        var decision = await PeekAsync(connection);
        switch (decision.Status)
        {
            case ClientHelloStatus.NotClientHello when next is not null && !decision.Empty:
                await next(connection);
                return;
            case ClientHelloStatus.Complete when ClusterRoute.ClusterNameFromSni(decision.ServerName) is { } cluster:
                await SpliceAsync(connection, cluster);
                return;
            case ClientHelloStatus.Complete when otherTlsToNext && next is not null:
                await next(connection);
                return;
            default:
                logger.LogDebug("Closing connection {ConnectionId}: no route for {ServerName}", connection.ConnectionId, decision.ServerName);
                return;
        }
    }

    private static async Task<(ClientHelloStatus Status, string? ServerName, bool Empty)> PeekAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(HelloTimeout);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(timeout.Token);
                var buffer = result.Buffer;
                var hello = buffer.IsEmpty ? ClientHello.Incomplete : ClientHelloParser.Parse(buffer);

                // Decided: consume nothing and examine nothing, so whoever handles the connection gets these bytes
                // at once. Marking them examined would make its first read wait for bytes the client never sends.
                if (hello.Status != ClientHelloStatus.Incomplete)
                {
                    input.AdvanceTo(buffer.Start);
                    return (hello.Status, hello.ServerName, false);
                }

                if (result.IsCompleted || result.IsCanceled || buffer.Length > ClientHelloParser.MaximumHelloLength)
                {
                    input.AdvanceTo(buffer.Start);
                    return (ClientHelloStatus.NotClientHello, null, buffer.IsEmpty);
                }

                // Undecided: everything so far was examined, so the next read waits for more of the hello.
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (OperationCanceledException)
        {
            return (ClientHelloStatus.NotClientHello, null, true);
        }
    }

    private async Task SpliceAsync(ConnectionContext connection, string cluster)
    {
        if (!routes.TryGet(cluster, out var route))
        {
            logger.LogInformation("Closing TLS connection for unknown cluster {Cluster}", cluster);
            return;
        }

        using var backend = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            connectTimeout.CancelAfter(ConnectTimeout);
            try
            {
                await backend.ConnectAsync(route.SchedulerHost, route.SchedulerPort, connectTimeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                logger.LogWarning("Scheduler of cluster {Cluster} at {Host}:{Port} unreachable: {Error}", cluster, route.SchedulerHost, route.SchedulerPort, e.Message);
                return;
            }
        }

        var clientSocket = connection.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket;
        await TcpSplice.RunAsync(connection.Transport, clientSocket, backend, connection.ConnectionClosed);
    }
}
