namespace Platform.Hosting;

/// <summary>How an AppHost was built and where it lives; normally read from the AppHost assembly's metadata.</summary>
public sealed record DistributedApplicationOptions
{
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>The AppHost project folder, which project paths are relative to.</summary>
    public string? AppHostDirectory { get; init; }

    /// <summary>Debug or Release: which build output of each project to run.</summary>
    public string? BuildConfiguration { get; init; }
}
