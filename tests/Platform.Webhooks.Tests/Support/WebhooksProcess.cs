using Platform.Hosting.Infrastructure;
using Platform.Processes;
using Platform.Testing.Servers;

namespace Platform.Webhooks.Tests.Support;

/// <summary>The built Webhooks service as its own process (<c>dotnet Platform.Webhooks.dll</c>), so a test can SIGKILL it.</summary>
public sealed class WebhooksProcess : IAsyncDisposable
{
    private readonly ChildProcess process;

    private WebhooksProcess(ChildProcess process, int port)
    {
        this.process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }

    public int ProcessId => process.Id;

    public string OutputTail => string.Join('\n', process.Tail.Lines);

    /// <summary>services/Webhooks/bin/&lt;configuration of this test build&gt;/net10.0/Platform.Webhooks.dll.</summary>
    public static string AssemblyPath
    {
        get
        {
            var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = testOutput.Parent!.Name;
            var repository = testOutput.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            return Path.Combine(repository, "services", "Webhooks", "bin", configuration, testOutput.Name, "Platform.Webhooks.dll");
        }
    }

    public static async Task<WebhooksProcess> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var port = FreePort.Pick();
        var environment = settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = ChildProcess.Start(new ChildProcessStartInfo(ExecutableSearch.OnPath("dotnet") ?? "dotnet", [AssemblyPath])
        {
            Environment = environment,
            WorkingDirectory = Path.GetDirectoryName(AssemblyPath),
            TailLines = 200,
        });
        var started = new WebhooksProcess(process, port);
        using var http = new HttpClient { BaseAddress = started.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The Webhooks service exited with {await process.Exited}:\n{started.OutputTail}");
            }

            try
            {
                using var response = await http.GetAsync("/health");
                if (response.IsSuccessStatusCode)
                {
                    return started;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                await process.DisposeAsync();
                throw new TimeoutException($"The Webhooks service was not ready within 60 s:\n{started.OutputTail}");
            }

            await Task.Delay(200);
        }
    }

    public async Task KillAsync()
    {
        UnixSignal.Send(process.Id, UnixSignal.Kill);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync() => await process.DisposeAsync();
}
