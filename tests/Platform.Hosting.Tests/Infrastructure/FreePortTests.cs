using System.Net;
using System.Net.Sockets;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.Tests.Infrastructure;

public sealed class FreePortTests
{
    [Fact]
    public void Picked_ports_lie_below_the_ephemeral_range_and_can_be_bound()
    {
        var ephemeral = FreePort.EphemeralRangeStart();
        for (var i = 0; i < 20; i++)
        {
            var port = FreePort.Pick();
            Assert.InRange(port, FreePort.LowestPicked, ephemeral - 1);
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
    }

    [Fact]
    public void A_bound_port_is_not_free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Assert.False(FreePort.IsFree(((IPEndPoint)listener.LocalEndpoint).Port));
    }
}
