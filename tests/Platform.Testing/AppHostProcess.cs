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

    private AppHostProcess(string dataDirectory, int portBase)
    {
        DataDirectory = dataDirectory;
        PortBase = portBase;
        _process = ChildProcess.Start(new ChildProcessStartInfo(ExecutableSearch.OnPath("dotnet") ?? "dotnet",
            [AssemblyPath, $"--Platform:DataDirectory={dataDirectory}", $"--Platform:PortBase={portBase}"])
        {
            Environment = new Dictionary<string, string?> { ["NO_COLOR"] = "1" },
            Output = line =>
            {
                lock (_gate)
                    _output.AppendLine(line);
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
                return _output.ToString();
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

    public static AppHostProcess Start(string dataDirectory, int? portBase = null) => new(dataDirectory, portBase ?? FreePortBase());

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The AppHost exited with code {_process.Exited.Result} before printing '{text}'.");
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

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();

    private sealed record RecordedProcess(int ProcessId);

    private sealed record RecordedProcesses(RecordedProcess[] Processes);

    private static int FreePortBase()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var portBase = Random.Shared.Next(20, 57) * 1000;
            if (DefaultPorts.All(p => FreePort.IsFree(p + portBase)))
                return portBase;
        }
        throw new InvalidOperationException("No Platform:PortBase found under which all the AppHost's ports are free.");
    }
}
