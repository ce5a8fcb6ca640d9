using CliWrap;
using CliWrap.Buffered;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// A one-shot command of the preparation (apt-get, npm ci, initdb, chown, docker info), run to its end by CliWrap;
/// the servers themselves are run by DCP.
/// </summary>
internal static class PreparationCommand
{
    /// <summary>
    /// Streams every output line to <paramref name="output"/>. A non-zero exit throws CliWrap's
    /// CommandExecutionException, whose message ends with the command's standard error, which usually says why.
    /// </summary>
    public static async Task RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        Action<string>? output,
        CancellationToken cancellationToken,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var echo = PipeTarget.ToDelegate(line => output?.Invoke(line));
        await Cli.Wrap(fileName)
            .WithArguments(arguments)
            .WithWorkingDirectory(workingDirectory ?? Environment.CurrentDirectory)
            .WithEnvironmentVariables(environment ?? new Dictionary<string, string?>())
            .WithStandardOutputPipe(echo)
            .WithStandardErrorPipe(echo)
            .ExecuteBufferedAsync(cancellationToken);
    }
}
