using System.Diagnostics;
using Platform.Hosting.Infrastructure;
using Platform.Processes;

namespace Platform.Testing.Servers;

/// <summary>What to run as a child process, and where its output lines go.</summary>
public sealed record ChildProcessStartInfo(string FileName, IReadOnlyList<string> Arguments)
{
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
    public string? WorkingDirectory { get; init; }
    public Action<string>? Output { get; init; }
    public int TailLines { get; init; } = 30;
}

/// <summary>
/// A process we started and own: it runs in its own session (via setsid, which execs without forking,
/// so <see cref="Id"/> is the real server's PID) so a terminal Ctrl+C reaches only us, and we can stop it
/// and everything it spawned by process group, never by name.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly TaskCompletionSource<int> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process, OutputTail tail)
    {
        this.process = process;
        Tail = tail;
    }

    public int Id { get; private set; }
    public string FileName => this.process.StartInfo.FileName;
    public OutputTail Tail { get; }

    /// <summary>Completes with the exit code once the process has exited.</summary>
    public Task<int> Exited => this.exited.Task;
    public bool HasExited => this.exited.Task.IsCompleted;

    public static ChildProcess Start(ChildProcessStartInfo info)
    {
        var setsid = ExecutableSearch.OnPath("setsid");
        var psi = new ProcessStartInfo(setsid ?? info.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // A pipe we never write to: children never read our terminal, and never see EOF either.
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = info.WorkingDirectory ?? System.Environment.CurrentDirectory,
        };
        if (setsid is not null)
        {
            psi.ArgumentList.Add(info.FileName);
        }

        foreach (var argument in info.Arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in info.Environment)
        {
            if (value is null)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }

        var tail = new OutputTail(info.TailLines);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var child = new ChildProcess(process, tail);
        var outputClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errorClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => OnLine(e.Data, outputClosed);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, errorClosed);
        process.Exited += async (_, _) =>
        {
            // Exit can be seen before the last lines are read, and a failure report needs those lines. Grandchildren
            // that inherited the pipes may keep them open, so the wait for end-of-output is bounded.
            await Task.WhenAny(Task.WhenAll(outputClosed.Task, errorClosed.Task), Task.Delay(500));
            child.exited.TrySetResult(process.ExitCode);
        };

        process.Start();
        child.Id = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;

        void OnLine(string? line, TaskCompletionSource closed)
        {
            if (line is null)
            {
                closed.TrySetResult();
                return;
            }
            tail.Add(line);
            info.Output?.Invoke(line);
        }
    }

    /// <summary>Waits for exit up to <paramref name="timeout"/>; true if it has exited.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        try
        {
            await this.exited.Task.WaitAsync(timeout, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/>, waits up to <paramref name="grace"/>, then SIGKILLs the process and
    /// whatever is left in its process group, and returns once the process has exited.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, int signal = UnixSignal.Terminate, CancellationToken ct = default)
    {
        if (!HasExited)
        {
            UnixSignal.Send(Id, signal);
        }

        if (!await WaitForExitAsync(grace, ct))
        {
            UnixSignal.Send(Id, UnixSignal.Kill);
            await WaitForExitAsync(TimeSpan.FromSeconds(10), ct);
        }
        KillLeftovers();
    }

    /// <summary>Kills what the process spawned and left behind in its process group (its own session).</summary>
    public void KillLeftovers()
    {
        foreach (var pid in ProcessTable.ProcessGroupMembers(Id))
        {
            UnixSignal.Send(pid, UnixSignal.Kill);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            await StopAsync(TimeSpan.FromSeconds(10));
        }

        this.process.Dispose();
    }
}
