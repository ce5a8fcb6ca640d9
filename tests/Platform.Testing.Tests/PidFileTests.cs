using System.Text.Json.Nodes;
using Platform.Processes;
using Platform.Testing;
using Platform.Testing.Servers;

namespace Platform.Testing.Tests;

public sealed class PidFileTests : IDisposable
{
    private readonly TestDirectory directory = new("pidfile");

    [Fact]
    public async Task Leftovers_of_a_crashed_run_are_stopped_by_the_next_run()
    {
        var path = Path.Combine(directory.Path, "run.pids");
        await using var orphan = await StartSleepAsync();
        new PidFile(path).Record(orphan.Id);

        var stopped = await PidFile.StopLeftoversAsync(path);

        Assert.Equal([orphan.Id], stopped);
        Assert.True(await orphan.WaitForExitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task A_recorded_PID_now_running_another_program_is_left_alone()
    {
        var path = Path.Combine(directory.Path, "run.pids");
        await using var stranger = await StartSleepAsync();
        new PidFile(path).Record(stranger.Id);
        // As if the PID had been reused after a crash: same number, different command line.
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["Processes"]![0]!["CommandLine"] = new JsonArray("postgres", "-D", "/somewhere");
        File.WriteAllText(path, json.ToJsonString());

        var stopped = await PidFile.StopLeftoversAsync(path);

        Assert.Empty(stopped);
        Assert.True(ProcessTable.IsRunning(stranger.Id));
    }

    [Fact]
    public void A_file_written_by_a_live_run_names_its_owner()
    {
        var path = Path.Combine(directory.Path, "run.pids");
        new PidFile(path).Record(Environment.ProcessId);

        // The owner is this very process, which is not "another run".
        Assert.Null(PidFile.LiveOwner(path));
    }

    public void Dispose() => directory.Dispose();

    /// <summary>Returns once setsid has exec'd sleep, so the recorded command line is sleep's.</summary>
    private static async Task<ChildProcess> StartSleepAsync()
    {
        var sleep = ChildProcess.Start(new ChildProcessStartInfo("sleep", ["600"]));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (ProcessTable.CommandLine(sleep.Id) is not ["sleep", "600"])
        {
            await Task.Delay(10, timeout.Token);
        }

        return sleep;
    }
}
