using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting.Tests.Orchestration;

/// <summary>
/// A plain command as a resource, to drive the supervisor with real processes: healthy once running;
/// with <c>exitsDuringStart</c>, a start-up that fails when the command exits; with <c>neverHealthy</c>,
/// a start-up that only ends when cancelled.
/// </summary>
internal sealed class CommandResource(string name, string fileName, string[] arguments, bool exitsDuringStart = false, bool neverHealthy = false)
    : Resource(name)
{
    private ChildProcess? _process;

    public List<int> StartedProcessIds { get; } = [];

    public override string DisplayEndpoint => "-";

    public override IReadOnlyList<int> ProcessIds => _process is { HasExited: false } p ? [p.Id] : [];

    public override IReadOnlyList<string> RecentOutput => _process?.Tail.Lines ?? [];

    internal override async Task StartAsync(RunContext context, CancellationToken ct)
    {
        _process = ChildProcess.Start(new ChildProcessStartInfo(fileName, arguments) { Output = context.OutputOf(this) });
        StartedProcessIds.Add(_process.Id);
        if (exitsDuringStart)
        {
            var code = await _process.Exited.WaitAsync(ct);
            throw new InfrastructureException($"'{Name}' exited with code {code}.", _process.Tail.Lines);
        }
        if (neverHealthy)
            await Task.Delay(Timeout.Infinite, ct);
    }

    internal override async Task StopAsync(CancellationToken ct)
    {
        if (_process is not null)
            await _process.StopAsync(TimeSpan.FromSeconds(5), UnixSignal.Terminate, ct);
    }

    internal override void Kill()
    {
        if (_process is { HasExited: false } p)
            ProcessGroup.Kill(p.Id);
    }
}
