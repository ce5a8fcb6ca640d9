using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.ServiceDefaults.Memory;

namespace Platform.ServiceDefaults.Tests;

public sealed class StartupMemoryTrimTests
{
    [Fact]
    public async Task Trims_once_after_the_application_has_started_and_not_before()
    {
        using var lifetime = new Lifetime();
        var calls = 0;
        using var trim = new StartupMemoryTrim(lifetime, Configuration(("Memory:TrimDelay", "00:00:00")), NullLogger<StartupMemoryTrim>.Instance, () =>
        {
            Interlocked.Increment(ref calls);
            return true;
        });

        await trim.StartAsync(CancellationToken.None);
        await Task.Delay(200);
        Assert.Equal(0, calls);

        lifetime.Started.Cancel();
        await trim.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, calls);
        Assert.Equal(1, trim.Trims);
        await trim.StopAsync(CancellationToken.None);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Does_nothing_when_turned_off()
    {
        using var lifetime = new Lifetime();
        var calls = 0;
        using var trim = new StartupMemoryTrim(
            lifetime, Configuration(("Memory:TrimAfterStart", "false"), ("Memory:TrimDelay", "00:00:00")), NullLogger<StartupMemoryTrim>.Instance, () => ++calls > 0);

        await trim.StartAsync(CancellationToken.None);
        lifetime.Started.Cancel();
        await trim.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task Stopping_before_the_start_ends_without_trimming()
    {
        using var lifetime = new Lifetime();
        var calls = 0;
        using var trim = new StartupMemoryTrim(lifetime, Configuration(("Memory:TrimDelay", "00:00:00")), NullLogger<StartupMemoryTrim>.Instance, () => ++calls > 0);

        await trim.StartAsync(CancellationToken.None);
        await trim.StopAsync(CancellationToken.None);
        Assert.Equal(0, calls);
    }

    [Fact]
    public void Releases_freed_malloc_memory_on_linux_and_calls_nothing_elsewhere()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(StartupMemoryTrim.GlibcTrim(onLinux: false));
            return;
        }

        // Freed chunks below a live one stay in malloc's free lists: free() alone cannot shrink the heap past the live
        // chunk, malloc_trim(0) gives their pages back.
        var blocks = Enumerable.Range(0, 256).Select(_ => Marshal.AllocHGlobal(32 * 1024)).ToList();
        var last = Marshal.AllocHGlobal(16);
        try
        {
            foreach (var block in blocks)
            {
                Marshal.FreeHGlobal(block);
            }

            Assert.False(StartupMemoryTrim.GlibcTrim(onLinux: false));
            Assert.True(StartupMemoryTrim.GlibcTrim(onLinux: true));
        }
        finally
        {
            Marshal.FreeHGlobal(last);
        }
    }

    [Fact]
    public async Task Every_service_on_service_defaults_runs_it()
    {
        await using var app = await TestApp.StartAsync([], _ => { });

        Assert.Contains(app.Services.GetServices<IHostedService>(), s => s is StartupMemoryTrim);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private sealed class Lifetime : IHostApplicationLifetime, IDisposable
    {
        public CancellationTokenSource Started { get; } = new();

        public CancellationTokenSource Stopping { get; } = new();

        public CancellationTokenSource Stopped { get; } = new();

        public CancellationToken ApplicationStarted => Started.Token;

        public CancellationToken ApplicationStopping => Stopping.Token;

        public CancellationToken ApplicationStopped => Stopped.Token;

        public void StopApplication() => Stopping.Cancel();

        public void Dispose()
        {
            Started.Dispose();
            Stopping.Dispose();
            Stopped.Dispose();
        }
    }
}
