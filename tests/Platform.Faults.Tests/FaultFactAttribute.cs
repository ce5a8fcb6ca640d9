namespace Platform.Faults.Tests;

/// <summary>
/// A fault-suite test: it runs only with <c>PLATFORM_FAULTS=1</c> (<c>PLATFORM_FAULTS=1 ./test.sh --filter
/// FullyQualifiedName~Faults</c>). The suite passes whole on a quiet machine but not yet under CI's load, so CI reports
/// it as skipped, with this reason, instead of running it.
/// </summary>
public sealed class FaultFactAttribute : FactAttribute
{
    public FaultFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("PLATFORM_FAULTS") != "1")
        {
            Skip = "The fault suite runs with PLATFORM_FAULTS=1; it is not yet reliable under CI's load (see README, \"Tests\").";
        }
    }
}
