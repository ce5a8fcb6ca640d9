using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Platform.Processes;

namespace Platform.Testing.Servers;

/// <summary>A TCP socket in LISTEN state and the processes holding it (from /proc/net/tcp{,6} and /proc/*/fd).</summary>
public sealed record ListeningSocket(IPAddress Address, int Port, long Inode);

/// <summary>Answers "who listens on this port?" so a port clash can name its holder, and lets tests check bind addresses.</summary>
public static class ListeningSockets
{
    private const string ListenState = "0A";

    public static IReadOnlyList<ListeningSocket> All()
    {
        var sockets = new List<ListeningSocket>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || fields[3] != ListenState)
                {
                    continue;
                }

                var local = fields[1].Split(':');
                sockets.Add(new ListeningSocket(ParseAddress(local[0]), int.Parse(local[1], NumberStyles.HexNumber), long.Parse(fields[9])));
            }
        }
        return sockets;
    }

    /// <summary>Whether a TCP connection to <paramref name="port"/> on loopback is accepted within 2 s.</summary>
    public static async Task<bool> AcceptsConnectionsAsync(int port, CancellationToken ct = default)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Listening sockets held open by any of <paramref name="processIds"/>.</summary>
    public static IReadOnlyList<ListeningSocket> OwnedBy(IReadOnlySet<int> processIds)
    {
        var inodes = processIds.SelectMany(SocketInodes).ToHashSet();
        return [.. All().Where(s => inodes.Contains(s.Inode))];
    }

    /// <summary>"PID 1234 (postgres -D ...)" for whoever listens on <paramref name="port"/>, or null if it cannot be told.</summary>
    public static string? DescribeHolder(int port)
    {
        var inodes = All().Where(s => s.Port == port).Select(s => s.Inode).ToHashSet();
        if (inodes.Count == 0)
        {
            return null;
        }

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            if (SocketInodes(pid).Any(inodes.Contains))
            {
                return $"PID {pid} ({string.Join(' ', ProcessTable.CommandLine(pid)).Trim()})";
            }
        }
        return null;
    }

    private static IEnumerable<long> SocketInodes(int processId)
    {
        string[] links;
        try
        {
            links = Directory.GetFiles($"/proc/{processId}/fd");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var link in links)
        {
            string? target;
            try
            {
                target = new FileInfo(link).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && long.TryParse(target.AsSpan(8, target.Length - 9), out var inode))
            {
                yield return inode;
            }
        }
    }

    // /proc/net/tcp prints addresses as the kernel stores them: 32-bit words in host (little-endian) order.
    private static IPAddress ParseAddress(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }

        return new IPAddress(bytes);
    }
}
