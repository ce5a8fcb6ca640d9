using Platform.Testing.Servers;

namespace Platform.Memory.Bench;

/// <summary>
/// One service's Release build run as the AppHost runs it (<c>dotnet Platform.X.dll</c>, or a self-contained publish's own
/// host) with Aspire-style settings; <paramref name="runtimeConfig"/>, when given, replaces its runtimeconfig.json.
/// </summary>
internal sealed class ServiceUnderTest(string name, string assembly, int port, Dictionary<string, string?> environment, string? runtimeConfig = null) : IAsyncDisposable
{
    private ChildProcess? process;

    public string Name => name;

    public Uri Url { get; } = new($"http://127.0.0.1:{port}");

    public int ProcessId => process?.Id ?? 0;

    /// <summary>From the process's start to its first healthy answer.</summary>
    public TimeSpan StartTime { get; private set; }

    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        environment["ASPNETCORE_URLS"] = Url.ToString().TrimEnd('/');
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["OTEL_SERVICE_NAME"] = name;
        // A self-contained publish (trimmed, say) runs its own host beside the assembly, not the shared framework's.
        var host = Path.ChangeExtension(assembly, null);
        var selfContained = File.Exists(host) && File.Exists(Path.Combine(Path.GetDirectoryName(assembly)!, "libcoreclr.so"));
        string[] arguments = runtimeConfig is null ? [assembly] : ["exec", "--runtimeconfig", runtimeConfig, assembly];
        var started = System.Diagnostics.Stopwatch.StartNew();
        process = ChildProcess.Start(new ChildProcessStartInfo(selfContained ? host : "dotnet", selfContained ? [] : arguments)
        {
            Environment = environment,
            WorkingDirectory = Path.GetDirectoryName(assembly),
        });

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited: {string.Join(Environment.NewLine, process.Tail.Lines)}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Url, "/health"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    StartTime = started.Elapsed;
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Busy starting.
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException($"{name} was not healthy within {timeout}: {string.Join(Environment.NewLine, process.Tail.Lines)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            await process.StopAsync(TimeSpan.FromSeconds(10));
            await process.DisposeAsync();
        }
    }
}
