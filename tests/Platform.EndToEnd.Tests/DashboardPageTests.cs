using Microsoft.Playwright;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The dashboard's Traces page in real Chromium (Debian's, driven by Playwright; no browser download) shows the trace of
/// a cluster creation. Screenshots are kept under this project's TestResults/dashboard/.
/// </summary>
[Collection(TracedSystemCollection.Name)]
public sealed class DashboardPageTests(TracedSystemFixture system)
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>tests/Platform.EndToEnd.Tests/TestResults/dashboard: dotnet test's default results folder for this project.</summary>
    public static readonly string ScreenshotFolder = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "TestResults", "dashboard"));

    [Fact]
    public async Task The_Traces_page_in_Chromium_shows_the_cluster_creation_trace()
    {
        var traceId = await system.ClusterCreationTraceIdAsync();
        Directory.CreateDirectory(ScreenshotFolder);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        page.SetDefaultTimeout(60_000);

        // The browser token logs in (the same URL the console prints); the Proxy's traces are the page's filter.
        await page.GotoAsync(new Uri(system.Dashboard, $"/login?t={system.BrowserToken}").ToString());
        await page.GotoAsync(new Uri(system.Dashboard, "/traces/resource/proxy").ToString());
        var row = page.GetByText(traceId[..7], new PageGetByTextOptions { Exact = true });
        await Assertions.Expect(row.First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "traces.png"), FullPage = true });

        // Its waterfall: every service of the creation, one below the other.
        await page.GotoAsync(new Uri(system.Dashboard, $"/traces/detail/{traceId}").ToString());
        foreach (var service in new[] { "proxy", "auth", "clusters" })
        {
            await Assertions.Expect(page.GetByText(service, new PageGetByTextOptions { Exact = true }).First).ToBeVisibleAsync();
        }

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "trace-detail.png"), FullPage = true });
        Assert.True(File.Exists(Path.Combine(ScreenshotFolder, "traces.png")));
    }
}
