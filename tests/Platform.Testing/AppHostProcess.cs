using System.Text;
using System.Text.Json;
using Platform.Hosting.Infrastructure;

namespace Platform.Testing;

/// <summary>The built AppHost started the way a user starts it: <c>dotnet Platform.AppHost.dll</c>, in its own session.</summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    /// <summary>The default ports of AppHost/Program.cs, to find a Platform:PortBase under which all are free.</summary>
    private static readonly int[] DefaultPorts = [5532, 5772, 5790, 5101, 5102, 5103, 5104, 8000];

    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private readonly ChildProcess _process;
    private readonly FileStream _portBaseLease;

    private AppHostProcess(string dataDirectory, int portBase, FileStream portBaseLease)
    {
        DataDirectory = dataDirectory;
        PortBase = portBase;
        _portBaseLease = portBaseLease;
        _process = ChildProcess.Start(new ChildProcessStartInfo(ExecutableSearch.OnPath("dotnet") ?? "dotnet",
            [AssemblyPath, $"--Platform:DataDirectory={dataDirectory}", $"--Platform:PortBase={portBase}"])
        {
            Environment = new Dictionary<string, string?> { ["NO_COLOR"] = "1" },
            Output = line =>
            {
                lock (_gate)
                {
                    _output.AppendLine(line);
                }
            },
        });
    }

    public string DataDirectory { get; }
    public int PortBase { get; }
    public int ProcessId => _process.Id;
    public Task<int> Exited => _process.Exited;
    public string PidFilePath => Path.Combine(DataDirectory, "apphost.pids");

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>AppHost/bin/&lt;configuration of this test build&gt;/net10.0/Platform.AppHost.dll.</summary>
    public static string AssemblyPath
    {
        get
        {
            var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = testOutput.Parent!.Name;
            var repository = testOutput.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            return Path.Combine(repository, "AppHost", "bin", configuration, testOutput.Name, "Platform.AppHost.dll");
        }
    }

    /// <summary>
    /// Starts the AppHost under <paramref name="portBase"/>, or under a free one. The base is leased through a lock
    /// file for as long as this object lives, so test projects running at the same time never pick the same one.
    /// </summary>
    public static AppHostProcess Start(string dataDirectory, int? portBase = null)
    {
        var (chosen, lease) = portBase is { } given ? (given, LeaseWaiting(given, TimeSpan.FromSeconds(30))) : FreePortBase();
        try
        {
            return new(dataDirectory, chosen, lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The AppHost exited with code {_process.Exited.Result} before printing '{text}'.");
            }

            try
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The AppHost did not print '{text}' within {timeout.TotalSeconds:0} s.");
            }
        }
    }

    /// <summary>The PIDs the AppHost recorded for the processes it started.</summary>
    public IReadOnlyList<int> RecordedProcessIds()
    {
        var content = JsonSerializer.Deserialize<RecordedProcesses>(File.ReadAllText(PidFilePath))!;
        return [.. content.Processes.Select(p => p.ProcessId)];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            await _portBaseLease.DisposeAsync();
        }
    }

    private sealed record RecordedProcess(int ProcessId);

    private sealed record RecordedProcesses(RecordedProcess[] Processes);

    /// <summary>
    /// Bases 100, 200, … 3900 keep every port (5201 … 11900) below both Linux's ephemeral range, from which the kernel
    /// hands out the client side of every connection on the machine (a base up there once lost RabbitMQ's port to
    /// one between our check and the broker's bind: eaddrinuse), and <see cref="FreePort.LowestPicked"/>, where the
    /// other tests' servers get their ports. No two default ports differ by a multiple of 100, so two bases never
    /// share a port.
    /// </summary>
    private static (int PortBase, FileStream Lease) FreePortBase()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var portBase = Random.Shared.Next(1, 40) * 100;
            if (TryLease(portBase) is not { } lease)
            {
                continue;
            }

            if (DefaultPorts.All(p => FreePort.IsFree(p + portBase)))
            {
                return (portBase, lease);
            }

            lease.Dispose();
        }
        throw new InvalidOperationException("No Platform:PortBase found under which all the AppHost's ports are free.");
    }

    private static FileStream LeaseWaiting(int portBase, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (TryLease(portBase) is { } lease)
            {
                return lease;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Platform:PortBase {portBase} stayed leased by another test for {timeout.TotalSeconds:0} s.");
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>An exclusive lock file (flock on Linux) that the kernel releases even if this process is killed.</summary>
    private static FileStream? TryLease(int portBase)
    {
        var directory = Path.Combine(Path.GetTempPath(), "platform-tests");
        Directory.CreateDirectory(directory);
        try
        {
            return new FileStream(Path.Combine(directory, $"port-base-{portBase}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
