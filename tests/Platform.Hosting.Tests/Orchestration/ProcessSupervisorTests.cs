using System.Net;
using System.Net.Sockets;
using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;
using Platform.Testing;

namespace Platform.Hosting.Tests.Orchestration;

public sealed class ProcessSupervisorTests : IDisposable
{
    private readonly TestDirectory _directory = new("supervisor");
    private readonly StringWriter _output = new();

    [Fact]
    public async Task A_resource_that_fails_to_start_is_reported_with_its_last_lines_and_everything_else_is_stopped()
    {
        var builder = Builder();
        var sleeper = builder.AddResource(new CommandResource("sleeper", "sleep", ["600"]));
        var broken = builder.AddResource(new CommandResource("broken", "sh", ["-c", "echo first words; echo last words; exit 3"], exitsDuringStart: true))
            .WaitFor(sleeper);
        var never = builder.AddResource(new CommandResource("never", "sleep", ["600"])).WaitFor(broken);

        var exitCode = await builder.Build().RunAsync(new ConsoleOutput(_output, useColour: false), CancellationToken.None);

        Assert.Equal(1, exitCode);
        var text = _output.ToString();
        Assert.Contains("'broken' failed to start: 'broken' exited with code 3.", text, StringComparison.Ordinal);
        Assert.Contains("broken  | last words", text, StringComparison.Ordinal);
        Assert.DoesNotContain("'never' failed", text, StringComparison.Ordinal);
        Assert.Equal(ResourceState.NotStarted, never.Resource.State);
        Assert.Empty(never.Resource.StartedProcessIds);
        Assert.Single(sleeper.Resource.StartedProcessIds);
        Assert.False(ProcessTable.IsRunning(sleeper.Resource.StartedProcessIds[0]), "the healthy resource was not stopped");
    }

    [Fact]
    public async Task A_stopped_run_prints_the_table_then_stops_every_process_in_reverse_order()
    {
        var builder = Builder();
        var first = builder.AddResource(new CommandResource("first", "sleep", ["600"]));
        var second = builder.AddResource(new CommandResource("second", "sleep", ["601"])).WaitFor(first);
        using var stop = new CancellationTokenSource();
        var app = builder.Build();

        var run = app.RunAsync(new ConsoleOutput(_output, useColour: false), stop.Token);
        await WaitForOutputAsync("resources are healthy");
        var pids = first.Resource.StartedProcessIds.Concat(second.Resource.StartedProcessIds).ToList();
        Assert.All(pids, pid => Assert.True(ProcessTable.IsRunning(pid)));
        await stop.CancelAsync();
        var exitCode = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exitCode);
        Assert.All(pids, pid => Assert.False(ProcessTable.IsRunning(pid), $"PID {pid} is still running"));
        var text = _output.ToString();
        Assert.Contains("| first ", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("second stopped", StringComparison.Ordinal) < text.IndexOf("first stopped", StringComparison.Ordinal), text);
        Assert.False(File.Exists(Path.Combine(_directory.Path, "apphost.pids")));
    }

    [Fact]
    public async Task Stopping_during_start_up_stops_what_was_already_started()
    {
        var builder = Builder();
        var ready = builder.AddResource(new CommandResource("ready", "sleep", ["600"]));
        var slow = builder.AddResource(new CommandResource("slow", "sleep", ["601"], neverHealthy: true)).WaitFor(ready);
        using var stop = new CancellationTokenSource();

        var run = builder.Build().RunAsync(new ConsoleOutput(_output, useColour: false), stop.Token);
        await WaitForOutputAsync("ready is ready");
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (slow.Resource.StartedProcessIds.Count == 0)
                await Task.Delay(20, timeout.Token);
        }
        await stop.CancelAsync();
        var exitCode = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exitCode);
        Assert.Contains("Start-up interrupted.", _output.ToString(), StringComparison.Ordinal);
        Assert.False(ProcessTable.IsRunning(ready.Resource.StartedProcessIds[0]));
        Assert.False(ProcessTable.IsRunning(slow.Resource.StartedProcessIds[0]));
    }

    [Fact]
    public async Task A_port_in_use_is_reported_with_its_holder_before_anything_starts()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var builder = Builder($"--Platform:Ports:messaging={port}");
        var sleeper = builder.AddResource(new CommandResource("sleeper", "sleep", ["600"]));
        builder.AddRabbitMQ("messaging");

        var exitCode = await builder.Build().RunAsync(new ConsoleOutput(_output, useColour: false), CancellationToken.None);

        Assert.Equal(1, exitCode);
        Assert.Contains($"Port {port} for 'messaging' is already in use by PID {Environment.ProcessId}", _output.ToString(), StringComparison.Ordinal);
        Assert.Empty(sleeper.Resource.StartedProcessIds);
    }

    public void Dispose() => _directory.Dispose();

    private DistributedApplicationBuilder Builder(params string[] args) =>
        DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            AppHostDirectory = _directory.Path,
            Args = [$"--Platform:DataDirectory={_directory.Path}", .. args],
        });

    private async Task WaitForOutputAsync(string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!_output.ToString().Contains(text, StringComparison.Ordinal))
            await Task.Delay(20, timeout.Token);
    }
}
