using System.Net;
using System.Net.Sockets;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Delivery;

/// <summary>A connection refused by the <see cref="DestinationPolicy"/>; its message is the reason, with no URL in it.</summary>
public sealed class DestinationRefusedException(string message) : HttpRequestException(message);

/// <summary>
/// Applies the <see cref="DestinationPolicy"/> when an endpoint is created or changed, and again on every new connection
/// (<see cref="SocketsHttpHandler.ConnectCallback"/>): a name that resolved to a public address at creation and to an
/// internal one later (DNS rebinding) is refused before a byte is sent.
/// </summary>
public sealed class DestinationGuard(DestinationPolicy policy)
{
    public DestinationPolicy Policy => policy;

    public async Task<(DestinationVerdict Verdict, Uri? Url)> CheckAsync(string? url, CancellationToken cancellationToken)
    {
        var shape = policy.CheckUrl(url, out var uri);
        if (!shape.Allowed || uri is null)
        {
            return (shape, null);
        }

        var host = uri.IdnHost;
        var addresses = await ResolveAsync(host, cancellationToken);
        var verdict = policy.CheckAddresses(host, addresses);
        return verdict.Allowed ? (verdict, uri) : (verdict, null);
    }

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = await ResolveAsync(host, cancellationToken);
        var verdict = policy.CheckAddresses(host, addresses);
        if (!verdict.Allowed)
        {
            throw new DestinationRefusedException($"Destination refused: {verdict.Reason}");
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // Connect to the address just checked, never to the name again: that would be a second, unchecked lookup.
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new HttpRequestException($"Connection failed: {last?.SocketErrorCode.ToString() ?? "no address"}", last);
    }

    private static async Task<IReadOnlyCollection<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return [literal];
        }

        try
        {
            return await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException)
        {
            return [];
        }
    }
}
