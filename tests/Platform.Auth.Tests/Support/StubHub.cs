using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Platform.Auth.Tests.Support;

/// <summary>
/// A Hub that is broken in one way (only for the failure cases a real Hub cannot be made to show on demand):
/// it answers every request with a fixed status, or accepts the connection and never answers.
/// </summary>
public sealed class StubHub : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly Task serving;
    private readonly List<TcpClient> held = [];

    private StubHub(int? status)
    {
        listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        serving = ServeAsync(status);
    }

    public Uri Url { get; }

    public int Requests { get; private set; }

    public static StubHub Answering(int status) => new(status);

    public static StubHub NeverAnswering() => new(null);

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        try
        {
            await serving;
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var client in held)
        {
            client.Dispose();
        }

        stopping.Dispose();
    }

    private async Task ServeAsync(int? status)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Requests++;
            if (status is null)
            {
                held.Add(client);
                continue;
            }

            using (client)
            {
                var stream = client.GetStream();
                // Read the request head before answering, so the client sees a response rather than a reset.
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, stopping.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                var body = "{\"status\": " + status + ", \"message\": \"stub\"}";
                var response = $"HTTP/1.1 {status} Stub\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), stopping.Token);
            }
        }
    }
}
