using Microsoft.Playwright;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The dashboard's Traces page in real Chromium (Debian's, driven by Playwright; no browser download) shows the trace of
/// a cluster creation. Screenshots are kept under this project's TestResults/dashboard/.
/// </summary>
[Collection(SharedSystemCollection.Name)]
public sealed class DashboardPageTests(SharedSystemFixture system)
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>tests/Platform.EndToEnd.Tests/TestResults/dashboard: dotnet test's default results folder for this project.</summary>
    public static readonly string ScreenshotFolder = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "TestResults", "dashboard"));

    [Fact]
    public async Task The_Traces_page_in_Chromium_shows_the_cluster_creation_trace()
    {
        var traceId = system.ClusterCreationTraceId;
        Directory.CreateDirectory(ScreenshotFolder);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 2000 } });
        page.SetDefaultTimeout(60_000);

        // The browser token logs in (the URL the console prints); the Traces page, filtered to the Proxy, lists the trace.
        await page.GotoAsync(new Uri(system.Dashboard, $"/login?t={system.BrowserToken}").ToString());
        await page.GotoAsync(new Uri(system.Dashboard, "/traces/resource/proxy").ToString());
        await ShowsAsync(page, [traceId[..7]], "the Traces page to list the cluster creation's trace");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "traces.png"), FullPage = true });

        // Its waterfall, opened from the page: the services of the creation and the event relayed from Clusters.
        await page.GotoAsync(new Uri(system.Dashboard, $"/traces/detail/{traceId}").ToString());
        await ShowsAsync(page, ["auth", "clusters", "plugins", "outbox relay ClusterCreated"], "the trace's waterfall to show its services' spans");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "trace-detail.png"), FullPage = true });
    }

    /// <summary>The dashboard is a Blazor app that renders after loading, so its text is polled rather than read once.</summary>
    private static async Task ShowsAsync(IPage page, string[] texts, string what)
    {
        await Platform.Testing.Eventually.GetAsync(
            () => page.InnerTextAsync("body"),
            body => texts.All(t => body.Contains(t, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60),
            what);
    }
}
