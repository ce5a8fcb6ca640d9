using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;
using Platform.Testing;

namespace Platform.Hosting.Tests.Orchestration;

public sealed class ConfiguredInfrastructureTests(InfrastructureFixture infrastructure) : IClassFixture<InfrastructureFixture>, IDisposable
{
    private readonly TestDirectory _directory = new("configured");
    private readonly StringWriter _output = new();

    [Fact]
    public async Task Configured_connection_strings_are_used_and_no_server_is_started()
    {
        var database = $"configured_{Guid.NewGuid():N}"[..24];
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            AppHostDirectory = _directory.Path,
            Args =
            [
                $"--Platform:DataDirectory={_directory.Path}",
                $"--ConnectionStrings:postgres={infrastructure.Postgres.GetConnectionString()}",
                $"--ConnectionStrings:messaging={infrastructure.RabbitMq.ConnectionString}",
            ],
        });
        var postgres = builder.AddPostgres("postgres");
        var db = postgres.AddDatabase(database);
        var messaging = builder.AddRabbitMQ("messaging");
        builder.AddResource(new CommandResource("consumer", "sleep", ["600"])).WaitFor(db).WaitFor(messaging);
        using var stop = new CancellationTokenSource();

        var run = builder.Build().RunAsync(new ConsoleOutput(_output, useColour: false), stop.Token);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (!_output.ToString().Contains("resources are healthy", StringComparison.Ordinal) && !run.IsCompleted)
                await Task.Delay(50, timeout.Token);
        }
        var serverProcesses = postgres.Resource.ProcessIds.Concat(messaging.Resource.ProcessIds).ToList();
        await stop.CancelAsync();
        Assert.Equal(0, await run);

        Assert.Empty(serverProcesses);
        Assert.True(await infrastructure.Postgres.DatabaseExistsAsync(database), "the database was not created on the configured server");
        Assert.False(Directory.Exists(Path.Combine(_directory.Path, "postgres")));
        Assert.False(Directory.Exists(Path.Combine(_directory.Path, "messaging")));
        Assert.Contains("configured (ConnectionStrings:postgres)", _output.ToString(), StringComparison.Ordinal);
        Assert.True(await AmqpProbe.AnswersAsync("127.0.0.1", infrastructure.RabbitMq.Port), "stopping the app must not stop a configured broker");
    }

    public void Dispose() => _directory.Dispose();
}
