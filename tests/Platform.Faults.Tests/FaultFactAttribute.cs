namespace Platform.Faults.Tests;

/// <summary>
/// A fault-suite test: it runs only with <c>PLATFORM_FAULTS=1</c> (<c>PLATFORM_FAULTS=1 ./test.sh --filter
/// FullyQualifiedName~Faults</c>). The suite has not yet passed a whole run, so CI reports it as skipped, with this
/// reason, instead of running it.
/// </summary>
public sealed class FaultFactAttribute : FactAttribute
{
    public FaultFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("PLATFORM_FAULTS") != "1")
        {
            Skip = "The fault suite runs with PLATFORM_FAULTS=1; it has not passed a whole run yet (see README, \"Tests\").";
        }
    }
}
