using System.Net;
using System.Net.Sockets;

namespace Platform.Testing.Servers;

/// <summary>
/// Asks "does an AMQP 0-9-1 broker answer here?" without a client library: send the protocol header and
/// expect a Connection.Start method frame back. An open port alone is not enough; RabbitMQ listens
/// before it is ready to accept connections.
/// </summary>
public static class AmqpProbe
{
    private static readonly byte[] ProtocolHeader = "AMQP\0\0\u0009\u0001"u8.ToArray();

    public static async Task<bool> AnswersAsync(string host, int port, CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Parse(host), port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(ProtocolHeader, timeout.Token);
            // Frame header: type (1 = method), channel (2 bytes), size (4), then class 10 (Connection), method 10 (Start).
            var frame = new byte[11];
            await stream.ReadExactlyAsync(frame, timeout.Token);
            return frame[0] == 1 && frame[1] == 0 && frame[2] == 0 && frame[7] == 0 && frame[8] == 10 && frame[9] == 0 && frame[10] == 10;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
