using System.Text;
using System.Text.Json;
using Platform.Hosting.Infrastructure;
using Platform.Processes;
using Platform.Testing.Servers;

namespace Platform.Testing;

/// <summary>
/// The built AppHost started the way a user starts it, in its own session, with SIGINT at its default disposition
/// whatever this test runner inherited (a runner started as a background job has it ignored, and .NET keeps it so).
/// Its dashboard, OTLP and resource-service ports and the Proxy's public port are free ones, leased for its lifetime.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private readonly Lock gate = new();
    private readonly ChildProcess process;
    private readonly FileStream portBaseLease;

    private AppHostProcess(string dataDirectory, int portBase, FileStream portBaseLease, IReadOnlyDictionary<string, string?> environment, bool userSecrets)
    {
        DataDirectory = dataDirectory;
        PortBase = portBase;
        this.portBaseLease = portBaseLease;
        var variables = new Dictionary<string, string?>
        {
            ["NO_COLOR"] = "1",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = $"http://localhost:{DashboardPort}",
            ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://localhost:{PortBase + OtlpOffset}",
            ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{PortBase + ResourceServiceOffset}",
            ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
            ["Platform__DataDirectory"] = dataDirectory,
            ["Platform__PublicPort"] = PublicPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Parameters__simple-password"] = SimplePassword,
        };
        foreach (var (name, value) in userSecrets ? new Dictionary<string, string>() : AppHostSecrets.For(dataDirectory))
        {
            variables[$"Parameters__{name}"] = value;
        }

        foreach (var (key, value) in environment)
        {
            variables[key] = value;
        }

        this.process = ChildProcess.Start(new ChildProcessStartInfo("/usr/bin/env", ["--default-signal=INT", ExecutablePath])
        {
            Environment = variables,
            WorkingDirectory = Path.GetDirectoryName(ExecutablePath),
            Output = line =>
            {
                lock (gate)
                {
                    output.AppendLine(line);
                }
            },
        });
    }

    /// <summary>The password every user gives (the AppHost's simple-password parameter, set by the test).</summary>
    public const string SimplePassword = "end-to-end";

    private const int PublicOffset = 0;
    private const int DashboardOffset = 1;
    private const int OtlpOffset = 2;
    private const int ResourceServiceOffset = 3;

    public int PublicPort => PortBase + PublicOffset;
    public int DashboardPort => PortBase + DashboardOffset;

    public string DataDirectory { get; }
    public int PortBase { get; }
    public int ProcessId => this.process.Id;
    public Task<int> Exited => this.process.Exited;

    public string Output
    {
        get
        {
            lock (gate)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>AppHost/bin/&lt;configuration of this test build&gt;/net10.0/Platform.AppHost.</summary>
    public static string ExecutablePath
    {
        get
        {
            var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = testOutput.Parent!.Name;
            var repository = testOutput.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            return Path.Combine(repository, "AppHost", "bin", configuration, testOutput.Name, "Platform.AppHost");
        }
    }

    /// <summary>
    /// Starts the AppHost under <paramref name="portBase"/>, or under a free one. The base is leased through a lock
    /// file for as long as this object lives, so test projects running at the same time never pick the same one.
    /// </summary>
    /// <param name="userSecrets">
    /// Let the AppHost generate its secret parameters and keep them in its user secrets, as a user's runs do; otherwise
    /// they come from <see cref="AppHostSecrets"/>, private to the data folder.
    /// </param>
    public static AppHostProcess Start(string dataDirectory, int? portBase = null, IReadOnlyDictionary<string, string?>? environment = null, bool userSecrets = false)
    {
        var (chosen, lease) = portBase is { } given ? (given, LeaseWaiting(given, TimeSpan.FromSeconds(30))) : FreePortBase();
        try
        {
            return new(dataDirectory, chosen, lease, environment ?? new Dictionary<string, string?>(), userSecrets);
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
            if (this.process.HasExited)
            {
                throw new InvalidOperationException($"The AppHost exited with code {this.process.Exited.Result} before printing '{text}'.");
            }

            try
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                var tail = string.Join('\n', Output.Split('\n').TakeLast(40));
                throw new TimeoutException($"The AppHost did not print '{text}' within {timeout.TotalSeconds:0} s; its last lines:\n{tail}");
            }
        }
    }

    /// <summary>
    /// Every process of this run: the AppHost's own descendants, and DCP (which detaches, and names the AppHost it
    /// watches with <c>--monitor</c>) with everything it started.
    /// </summary>
    public IReadOnlyList<int> RunningProcessIds()
    {
        var monitor = $"{this.process.Id}";
        var dcp = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ProcessTable.CommandLine(pid) is { Count: > 2 } commandLine
                && Path.GetFileName(commandLine[0]) == "dcp" && commandLine.SkipWhile(a => a != "--monitor").Skip(1).FirstOrDefault() == monitor);
        return [.. dcp.Append(this.process.Id).SelectMany(pid => ProcessTable.Descendants(pid).Prepend(pid)).Distinct()];
    }

    /// <summary>
    /// Stops the run as a user does: SIGINT to the whole process group is a terminal's Ctrl+C, SIGTERM to the AppHost a
    /// service manager's stop. Waits for the AppHost to exit, then (DCP stops the resources after the AppHost has
    /// returned) up to <paramref name="timeout"/> in all for every process of the run; returns those still running.
    /// </summary>
    public async Task<IReadOnlyList<string>> StopAsync(int signal, bool toProcessGroup, TimeSpan timeout)
    {
        var everything = RunningProcessIds();
        var deadline = DateTime.UtcNow + timeout;
        var sent = toProcessGroup ? UnixSignal.SendToGroup(this.process.Id, signal) : UnixSignal.Send(this.process.Id, signal);
        if (!sent)
        {
            throw new InvalidOperationException($"The AppHost (PID {this.process.Id}) was gone before it was signalled.");
        }

        await this.process.Exited.WaitAsync(timeout);
        while (everything.Any(ProcessTable.IsRunning) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        return [.. everything.Where(ProcessTable.IsRunning).Select(pid => $"PID {pid} ({string.Join(' ', ProcessTable.CommandLine(pid))})")];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await this.process.DisposeAsync();
        }
        finally
        {
            await this.portBaseLease.DisposeAsync();
        }
    }

    /// <summary>
    /// Bases 8100, 8200, … 11900 keep the four ports below both Linux's ephemeral range, from which the kernel hands
    /// out the client side of every connection on the machine, and <see cref="FreePort.LowestPicked"/>, where the
    /// other tests' servers (and this run's epmd) get their ports; the lock file keeps two test runs apart.
    /// </summary>
    private static (int PortBase, FileStream Lease) FreePortBase()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var portBase = 8000 + (Random.Shared.Next(1, 40) * 100);
            if (TryLease(portBase) is not { } lease)
            {
                continue;
            }

            if (new[] { PublicOffset, DashboardOffset, OtlpOffset, ResourceServiceOffset }.All(p => FreePort.IsFree(p + portBase)))
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
