using System.Net;
using System.Net.Sockets;

namespace Platform.Hosting.Infrastructure;

/// <summary>Loopback ports: asking the kernel for a free one, and checking a chosen one is still free.</summary>
public static class FreePort
{
    /// <summary>Lowest port handed out; AppHost test runs use Platform:PortBase values that stay below it.</summary>
    public const int LowestPicked = 12_000;

    /// <summary>
    /// A free port for a server that binds it a moment later. It is chosen below the kernel's ephemeral range, not
    /// with "port 0": a port from that range, once released, can be taken by the client side of any outgoing
    /// connection on the machine before our server binds it (seen in CI as RabbitMQ's eaddrinuse).
    /// </summary>
    public static int Pick()
    {
        var ceiling = EphemeralRangeStart();
        if (ceiling - LowestPicked >= 1_000)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var port = Random.Shared.Next(LowestPicked, ceiling);
                if (IsFree(port))
                {
                    return port;
                }
            }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The first port of Linux's ephemeral range (32768 by default); elsewhere the IANA one, 49152.</summary>
    public static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 49_152;
        }
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
