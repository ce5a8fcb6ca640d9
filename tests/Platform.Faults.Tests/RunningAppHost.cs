using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Hosting.Infrastructure;
using Platform.Processes;
using Platform.Testing;

namespace Platform.Faults.Tests;

/// <summary>
/// The real AppHost started in-process by Aspire.Hosting.Testing (as AspireTestingTests does), with what a fault test
/// needs on top: the PID behind each resource, SIGKILL of it, and the time until the resource is healthy again.
/// </summary>
public sealed class RunningAppHost : IAsyncDisposable
{
    public static readonly string[] Resources = ["postgres", "authdb", "clustersdb", "webhooksdb", "pluginsdb", "messaging", "objects", "auth", "clusters", "webhooks", "plugins", "proxy"];

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(10);

    // Aspire's KnownProperties.Executable.Pid (internal): the process DCP launched.
    private const string ExecutablePid = "executable.pid";

    private readonly DistributedApplication app;

    private RunningAppHost(DistributedApplication app, string dataDirectory)
    {
        this.app = app;
        DataDirectory = dataDirectory;
        Notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        Commands = app.Services.GetRequiredService<ResourceCommandService>();
        PublicAddress = app.GetEndpoint("proxy", "http");
    }

    public string DataDirectory { get; }

    /// <summary>Where the Clusters service keeps each cluster's folder (the AppHost's <c>Clusters__DataDirectory</c>).</summary>
    public string ClustersDataDirectory => Path.Combine(DataDirectory, "clusters");

    public Uri PublicAddress { get; }

    public ResourceNotificationService Notifications { get; }

    public ResourceCommandService Commands { get; }

    /// <param name="environment">Extra environment variables of services (added after the AppHost's own).</param>
    public static async Task<RunningAppHost> StartAsync(string dataDirectory, IReadOnlyList<(string Resource, string Name, string Value)>? environment = null)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Platform_AppHost>(
        [
            $"--Platform:DataDirectory={dataDirectory}",
            $"--Platform:PublicPort={FreePort.Pick()}",
            $"--Parameters:simple-password={AppHostProcess.SimplePassword}",
            .. AppHostSecrets.Arguments(dataDirectory),
        ]);
        foreach (var (resource, name, value) in environment ?? [])
        {
            builder.CreateResourceBuilder<ProjectResource>(resource).WithEnvironment(name, value);
        }

        var app = await builder.BuildAsync();
        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            await app.StartAsync(timeout.Token);
            var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var name in Resources)
            {
                await notifications.WaitForResourceHealthyAsync(name, timeout.Token);
            }

            return new RunningAppHost(app, dataDirectory);
        }
        catch
        {
            // A start that failed still stops what it started (the object store is the AppHost's own child).
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The process a crash of this resource takes down: for a service the built program itself (DCP runs it under
    /// <c>dotnet run</c>), for PostgreSQL and RabbitMQ the server DCP started (setpriv and the scripts exec in place).
    /// </summary>
    public int ProcessOf(string resource)
    {
        var snapshot = Snapshot(resource);
        var pid = LaunchedProcess(snapshot) ?? throw new InvalidOperationException($"{resource} has no process");
        if (snapshot.ResourceType != "Project")
        {
            return pid;
        }

        var program = "/Platform." + char.ToUpperInvariant(resource[0]) + resource[1..];
        return ProcessTable.Descendants(pid).Prepend(pid)
            .Single(p => ProcessTable.CommandLine(p) is [var first, ..] && first.EndsWith(program, StringComparison.Ordinal));
    }

    public CustomResourceSnapshot Snapshot(string resource) =>
        Notifications.TryGetCurrentState(resource, out var current) ? current.Snapshot : throw new InvalidOperationException($"No state for {resource}");

    /// <summary>SIGKILLs the resource's process; returns how long until the restarted resource was healthy again.</summary>
    public async Task<TimeSpan> KillAndAwaitRestartAsync(string resource, TimeSpan timeout)
    {
        var victim = ProcessOf(resource);
        var launched = LaunchedProcess(Snapshot(resource));
        var clock = Stopwatch.StartNew();
        UnixSignal.Send(victim, UnixSignal.Kill);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            // Healthy as reported for a process DCP launched after the kill.
            await Notifications.WaitForResourceAsync(resource, e =>
                e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.HealthStatus == HealthStatus.Healthy
                && LaunchedProcess(e.Snapshot) is { } pid && pid != launched,
                deadline.Token);
            if (Snapshot(resource).ResourceType == "Project" && resource != "proxy")
            {
                using var http = new HttpClient { BaseAddress = app.GetEndpoint(resource, "http") };
                await Eventually.TrueAsync(async () => await AnswersHealthAsync(http), timeout - clock.Elapsed, $"{resource} to answer /health after its restart");
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{resource} was not healthy again {timeout.TotalSeconds:0} s after SIGKILL of PID {victim}; state {Snapshot(resource).State?.Text}");
        }

        return clock.Elapsed;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private static int? LaunchedProcess(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == ExecutablePid)?.Value is { } pid
            ? Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static async Task<bool> AnswersHealthAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync(new Uri("/health", UriKind.Relative));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
