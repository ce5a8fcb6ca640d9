using Platform.Hosting.Infrastructure;
using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.Hosting.Tests.EndToEnd;

/// <summary>
/// The AppHost as a user runs it: all of PostgreSQL, RabbitMQ, the object store and the five services come up
/// healthy, and Ctrl+C (SIGINT) leaves no process behind. Needs the AppHost and services built (the test project
/// references the AppHost for that).
/// </summary>
public sealed class AppHostEndToEndTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);
    private readonly TestDirectory _directory = new("apphost-e2e");

    [Fact]
    public async Task Everything_comes_up_healthy_and_ctrl_c_leaves_no_process_behind()
    {
        Assert.True(File.Exists(AppHostProcess.AssemblyPath), $"Build the AppHost first: {AppHostProcess.AssemblyPath} is missing.");
        await using var appHost = AppHostProcess.Start(Path.Combine(_directory.Path, "data"));
        try
        {
            await appHost.WaitForOutputAsync("resources are healthy", StartTimeout);
            var recorded = appHost.RecordedProcessIds();
            var everything = recorded.Concat(recorded.SelectMany(ProcessTable.Descendants)).Distinct().ToList();
            Assert.Equal(8, recorded.Count); // postgres, broker + its epmd, five services (the object store is a folder here)
            Assert.All(everything, pid => Assert.True(ProcessTable.IsRunning(pid)));
            using (var http = new HttpClient())
            {
                var proxy = await http.GetAsync(new Uri($"http://127.0.0.1:{8000 + appHost.PortBase}/health"));
                Assert.Equal(System.Net.HttpStatusCode.OK, proxy.StatusCode);
            }

            UnixSignal.Send(appHost.ProcessId, UnixSignal.Interrupt);
            var exitCode = await appHost.Exited.WaitAsync(TimeSpan.FromSeconds(120));

            Assert.Equal(0, exitCode);
            Assert.All(everything, pid => Assert.False(ProcessTable.IsRunning(pid), $"PID {pid} ({string.Join(' ', ProcessTable.CommandLine(pid))}) is still running"));
            Assert.False(File.Exists(appHost.PidFilePath));
        }
        finally
        {
            log.WriteLine(appHost.Output);
        }
    }

    [Fact]
    public async Task A_run_after_a_killed_apphost_stops_its_leftovers_and_starts_cleanly()
    {
        Assert.True(File.Exists(AppHostProcess.AssemblyPath), $"Build the AppHost first: {AppHostProcess.AssemblyPath} is missing.");
        var data = Path.Combine(_directory.Path, "data");
        IReadOnlyList<int> orphans;
        int portBase;
        await using (var crashed = AppHostProcess.Start(data))
        {
            try
            {
                await crashed.WaitForOutputAsync("resources are healthy", StartTimeout);
                orphans = crashed.RecordedProcessIds();
                portBase = crashed.PortBase;
                UnixSignal.Send(crashed.ProcessId, UnixSignal.Kill); // no chance to clean up
                await crashed.Exited.WaitAsync(TimeSpan.FromSeconds(10));
                Assert.All(orphans, pid => Assert.True(ProcessTable.IsRunning(pid), $"PID {pid} should have outlived the killed AppHost"));
            }
            finally
            {
                log.WriteLine(crashed.Output);
            }
        }

        await using var next = AppHostProcess.Start(data, portBase);
        try
        {
            await next.WaitForOutputAsync("resources are healthy", StartTimeout);

            Assert.Contains("left running by an earlier run", next.Output, StringComparison.Ordinal);
            Assert.All(orphans, pid => Assert.False(ProcessTable.IsRunning(pid), $"leftover PID {pid} is still running"));
            UnixSignal.Send(next.ProcessId, UnixSignal.Interrupt);
            Assert.Equal(0, await next.Exited.WaitAsync(TimeSpan.FromSeconds(120)));
        }
        finally
        {
            log.WriteLine(next.Output);
        }
    }

    public void Dispose() => _directory.Dispose();
}
