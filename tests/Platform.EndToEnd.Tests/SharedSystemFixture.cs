using Platform.Hosting;
using Platform.Processes;
using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// One AppHost started as a user starts it, shared by the tests that drive it from outside only (the public port, the
/// dashboard and its telemetry API): each test uses its own users and clusters. Its dashboard's telemetry API is on
/// under a key of the test's, its browser token is known, and one cluster is created through the public port before
/// any test runs, so the trace and dashboard tests look at one known trace. At the end it is stopped with SIGINT to
/// the AppHost alone, and a run that does not stop cleanly fails every test of the collection.
/// </summary>
public sealed class SharedSystemFixture : IAsyncLifetime
{
    // Measured here: ~1 min on a quiet machine, 6 min with a load average of 40.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(8);

    // The AppHost returns as soon as it has told DCP to stop; DCP then stops the resources (measured: up to ~50 s).
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(120);

    private readonly TestDirectory directory = new("platform-e2e-shared");
    private readonly string apiKey = Guid.NewGuid().ToString("N");

    public AppHostProcess System { get; private set; } = null!;

    public DashboardTelemetry Telemetry { get; private set; } = null!;

    public PublicApi Api { get; private set; } = null!;

    public string BrowserToken { get; } = Guid.NewGuid().ToString("N");

    public Uri Dashboard => new($"http://localhost:{System.DashboardPort}");

    /// <summary>The traced cluster: created by <see cref="TracedUser"/> through the public port before any test ran.</summary>
    public string ClusterName { get; private set; } = "";

    /// <summary>The id of the trace the traced cluster's POST started, once the dashboard held the Proxy's span of it.</summary>
    public string ClusterCreationTraceId { get; private set; } = "";

    /// <summary>The user who owns the traced cluster; the other tests use other users.</summary>
    public const string TracedUser = "alice";

    public async Task InitializeAsync()
    {
        System = AppHostProcess.Start(Path.Combine(directory.Path, "data"), environment: new Dictionary<string, string?>
        {
            // The AppHost passes ASPIRE_DASHBOARD_* on to the dashboard it starts, and keys its telemetry API with this.
            ["ASPIRE_DASHBOARD_API_ENABLED"] = "true",
            ["AppHost__DashboardApiKey"] = apiKey,
            ["ASPIRE_DASHBOARD_FRONTEND_BROWSERTOKEN"] = BrowserToken,
        });
        await System.WaitForOutputAsync(StartupSummary.ReadyLine, StartTimeout);
        Telemetry = new DashboardTelemetry(Dashboard, apiKey);
        Api = new PublicApi(System.PublicPort);

        // Before any test creates a cluster of its own, so the Proxy's one creation span is this one's.
        ClusterName = await Api.CreateClusterAsync(TracedUser);
        await Api.WaitForStatusAsync(ClusterName, "RUNNING", TracedUser);
        var creation = await Eventually.GetAsync(
            async () => (await Telemetry.TracesOfAsync("proxy")).FirstOrDefault(IsClusterCreation),
            span => span is not null,
            TimeSpan.FromSeconds(60),
            "the dashboard to hold the Proxy's span of POST /api/v1/clusters/");
        ClusterCreationTraceId = creation!.TraceId;
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        Telemetry?.Dispose();
        if (System is null)
        {
            directory.Dispose();
            return;
        }

        IReadOnlyList<string> left = [];
        int? exitCode = null;
        try
        {
            if (!System.Exited.IsCompleted)
            {
                left = await System.StopAsync(UnixSignal.Interrupt, toProcessGroup: false, StopTimeout);
                exitCode = await System.Exited;
            }
        }
        finally
        {
            await System.DisposeAsync();
            directory.Dispose();
        }

        // xunit reports a collection fixture's clean-up failure as a failure of each test in the collection.
        if (exitCode is not (null or 0) || left.Count > 0)
        {
            throw new InvalidOperationException(
                $"SIGINT to the AppHost: exit code {exitCode}; processes of the run still running: {string.Join("; ", left)}\n{System.Output}");
        }
    }

    private static bool IsClusterCreation(TelemetrySpan span) =>
        span.Kind == TelemetrySpan.ServerKind
        && span.Attributes.GetValueOrDefault("http.request.method") == "POST"
        && span.Attributes.GetValueOrDefault("url.path") is "/api/v1/clusters/" or "/api/v1/clusters";
}

[CollectionDefinition(Name)]
public sealed class SharedSystemCollection : ICollectionFixture<SharedSystemFixture>
{
    public const string Name = "One AppHost driven from outside, with its dashboard and one traced cluster creation";
}
