using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.Memory;

/// <summary>
/// Once start-up is over, hands the memory glibc's malloc still holds from it back to the kernel (<c>malloc_trim(0)</c>).
/// Start-up (the JIT compiling thousands of methods, the type loader, configuration and DI) frees most of what it
/// mallocs, but glibc keeps freed chunks in its arenas' free lists and only returns the top of each heap; an idle
/// service then carries that start-up garbage as RSS for good. Linux with glibc only: elsewhere (or on musl, which has
/// no <c>malloc_trim</c>) it does nothing. <c>Memory:TrimAfterStart=false</c> turns it off; <c>Memory:TrimDelay</c>
/// (default 5 s after ApplicationStarted) lets the first requests and the tiering JIT settle first.
/// </summary>
/// <remarks>
/// Measured 2026-12-02 (bench/Memory, same run as the as-built services): see services/Directory.Build.props.
/// </remarks>
internal sealed class StartupMemoryTrim : BackgroundService
{
    public const string EnabledKey = "Memory:TrimAfterStart";
    public const string DelayKey = "Memory:TrimDelay";

    private readonly IHostApplicationLifetime lifetime;
    private readonly ILogger<StartupMemoryTrim> logger;
    private readonly TimeSpan delay;
    private readonly bool enabled;
    private readonly Func<bool> trim;

    public StartupMemoryTrim(IHostApplicationLifetime lifetime, IConfiguration configuration, ILogger<StartupMemoryTrim> logger)
        : this(lifetime, configuration, logger, () => GlibcTrim(OperatingSystem.IsLinux()))
    {
    }

    /// <param name="lifetime">Trimming waits for ApplicationStarted.</param>
    /// <param name="configuration">Memory:TrimAfterStart, Memory:TrimDelay.</param>
    /// <param name="logger">Where the result goes (Debug).</param>
    /// <param name="trim">Returns whether memory was released; false where there is nothing to call.</param>
    internal StartupMemoryTrim(IHostApplicationLifetime lifetime, IConfiguration configuration, ILogger<StartupMemoryTrim> logger, Func<bool> trim)
    {
        this.lifetime = lifetime;
        this.logger = logger;
        this.trim = trim;
        enabled = configuration.GetValue(EnabledKey, true);
        delay = configuration.GetValue(DelayKey, TimeSpan.FromSeconds(5));
    }

    /// <summary>How many times it trimmed (0 or 1).</summary>
    internal int Trims { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!enabled)
        {
            return;
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            await started.Task;
        }

        await Task.Delay(delay, stoppingToken);
        var released = trim();
        Trims++;
        logger.LogDebug("malloc_trim after start-up: {Result}", released ? "memory released" : "nothing released or not available");
    }

    /// <summary>glibc's <c>malloc_trim(0)</c>: false off Linux and where libc has none (musl).</summary>
    /// <param name="onLinux">Whether this is Linux (<see cref="OperatingSystem.IsLinux"/>); libc is not called otherwise.</param>
    internal static bool GlibcTrim(bool onLinux)
    {
        if (!onLinux)
        {
            return false;
        }

        try
        {
            return NativeMethods.malloc_trim(0) != 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    private static class NativeMethods
    {
#pragma warning disable SYSLIB1054 // LibraryImport needs AllowUnsafeBlocks; malloc_trim(3) is blittable, so DllImport costs nothing.
        [DllImport("libc")]
        internal static extern int malloc_trim(nuint pad);
#pragma warning restore SYSLIB1054
    }
}
