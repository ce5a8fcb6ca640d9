namespace Platform.Plugins.Sdk.Handlers;

/// <summary>
/// How long one attempt may take and how failures are retried (kopf's <c>timeout</c>, <c>retries</c>, <c>backoff</c>).
/// The delay before attempt n+1 is <see cref="Backoff"/> · 2^(n-1), at most <see cref="MaxBackoff"/>, unless the
/// handler asked for a specific delay with <see cref="TemporaryHandlerException"/>.
/// </summary>
public sealed record HandlerOptions
{
    public static HandlerOptions Default { get; } = new();

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 5;

    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan DelayAfter(int attempt)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(Backoff.Ticks * factor, MaxBackoff.Ticks));
        return delay;
    }
}

/// <summary>"Retry later" (kopf's <c>TemporaryError</c>): the run is attempted again after <see cref="Delay"/>, or the backoff.</summary>
public sealed class TemporaryHandlerException : Exception
{
    public TemporaryHandlerException()
    {
    }

    public TemporaryHandlerException(string message)
        : base(message)
    {
    }

    public TemporaryHandlerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TemporaryHandlerException(string message, TimeSpan delay)
        : base(message)
    {
        Delay = delay;
    }

    public TimeSpan? Delay { get; }
}

/// <summary>"Give up" (kopf's <c>PermanentError</c>): the run fails now, with no further attempts.</summary>
public sealed class PermanentHandlerException : Exception
{
    public PermanentHandlerException()
    {
    }

    public PermanentHandlerException(string message)
        : base(message)
    {
    }

    public PermanentHandlerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
