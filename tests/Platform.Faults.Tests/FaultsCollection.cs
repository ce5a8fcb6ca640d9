namespace Platform.Faults.Tests;

/// <summary>One whole system at a time: each test starts the AppHost, and two at once would share 2 cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultsCollection
{
    public const string Name = "faults";
}
