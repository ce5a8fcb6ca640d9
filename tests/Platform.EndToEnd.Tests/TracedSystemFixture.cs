using Platform.Hosting;
using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// One AppHost started as a user starts it, shared by the trace test and the dashboard page test: its dashboard's
/// telemetry API is on under a key of the test's, its browser token is known, and one cluster is created through the
/// public port (once, by whichever test asks first), so both tests look at the same trace.
/// </summary>
public sealed class TracedSystemFixture : IAsyncLifetime
{
    // Measured here: ~1 min on a quiet machine, 6 min with a load average of 40.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(8);

    private readonly TestDirectory directory = new("platform-e2e-traces");
    private readonly string apiKey = Guid.NewGuid().ToString("N");
    private readonly Lazy<Task<string>> clusterCreation;

    public TracedSystemFixture() => clusterCreation = new(CreateClusterAsync);

    public AppHostProcess System { get; private set; } = null!;

    public DashboardTelemetry Telemetry { get; private set; } = null!;

    public PublicApi Api { get; private set; } = null!;

    public string BrowserToken { get; } = Guid.NewGuid().ToString("N");

    public Uri Dashboard => new($"http://localhost:{System.DashboardPort}");

    /// <summary>The name of the cluster created through the public port, and the id of the trace its POST started.</summary>
    public string ClusterName { get; private set; } = "";

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
    }

    /// <summary>The trace id of the cluster creation (a POST through the public port), once the dashboard has its Proxy span.</summary>
    public Task<string> ClusterCreationTraceIdAsync() => clusterCreation.Value;

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        Telemetry?.Dispose();
        if (System is not null)
        {
            await System.DisposeAsync();
        }

        directory.Dispose();
    }

    private async Task<string> CreateClusterAsync()
    {
        ClusterName = await Api.CreateClusterAsync("alice");
        await Api.WaitForStatusAsync(ClusterName, "RUNNING");
        var creation = await Eventually.GetAsync(
            async () => (await Telemetry.TracesOfAsync("proxy")).FirstOrDefault(IsClusterCreation),
            span => span is not null,
            TimeSpan.FromSeconds(60),
            "the dashboard to hold the Proxy's span of POST /api/v1/clusters/");
        return creation!.TraceId;
    }

    private static bool IsClusterCreation(TelemetrySpan span) =>
        span.Kind == TelemetrySpan.ServerKind
        && span.Attributes.GetValueOrDefault("http.request.method") == "POST"
        && span.Attributes.GetValueOrDefault("url.path") is "/api/v1/clusters/" or "/api/v1/clusters";
}

[CollectionDefinition(Name)]
public sealed class TracedSystemCollection : ICollectionFixture<TracedSystemFixture>
{
    public const string Name = "One AppHost, its dashboard and one traced cluster creation";
}
