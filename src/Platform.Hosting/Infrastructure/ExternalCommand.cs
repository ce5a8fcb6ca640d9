using System.Diagnostics;

namespace Platform.Hosting.Infrastructure;

/// <summary>How a one-shot command ended, with its last lines, which usually say why it failed.</summary>
public sealed record CommandResult(int ExitCode, IReadOnlyList<string> LastLines);

/// <summary>
/// Runs a one-shot command of the preparation (apt-get, npm ci, initdb, chown, docker info) to its end and streams its
/// output; the servers themselves are run by DCP.
/// </summary>
public static class ExternalCommand
{
    private const int KeptLines = 30;

    public static async Task<CommandResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        Action<string>? output = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // A pipe we never write to: the command never reads our terminal.
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var lastLines = new Queue<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        lock (lastLines)
        {
            return new CommandResult(process.ExitCode, [.. lastLines]);
        }

        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (lastLines)
            {
                lastLines.Enqueue(line);
                if (lastLines.Count > KeptLines)
                {
                    lastLines.Dequeue();
                }
            }

            output?.Invoke(line);
        }
    }
}
