namespace Platform.Testing;

/// <summary>Polls a condition instead of sleeping: passes as soon as it holds, fails with a description when time runs out.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        T last;
        while (true)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}; last value: {last}");
            }

            await Task.Delay(100);
        }
    }

    public static Task<bool> TrueAsync(Func<Task<bool>> probe, TimeSpan timeout, string what) => GetAsync(probe, x => x, timeout, what);

    public static Task<bool> TrueAsync(Func<bool> probe, TimeSpan timeout, string what) => GetAsync(() => Task.FromResult(probe()), x => x, timeout, what);
}
