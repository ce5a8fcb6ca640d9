namespace Platform.Plugins.Sdk.Stages;

/// <summary>
/// One step of deploying the platform itself (Nebari's <c>NebariStage</c>): stages run in ascending <see cref="Priority"/>,
/// each rendering its files, deploying, checking and destroying (in reverse order) with the outputs of the stages before it.
/// The platform records registered stages; running them is a later issue's deployment command.
/// </summary>
public interface IDeploymentStage
{
    /// <summary>Lower-case letters, digits and dashes; unique within the plugin; the key of its outputs for later stages.</summary>
    string Name { get; }

    /// <summary>Where the stage runs among all stages: lower first (Nebari's built-in stages use 10, 20, … 100).</summary>
    int Priority { get; }

    /// <summary>The files this stage would apply (path relative to the deployment folder → content); writes nothing itself.</summary>
    Task<IReadOnlyDictionary<string, string>> RenderAsync(StageInput input, CancellationToken cancellationToken);

    /// <summary>Applies what <see cref="RenderAsync"/> described; returns what later stages may read.</summary>
    Task<StageOutput> DeployAsync(StageInput input, CancellationToken cancellationToken);

    /// <summary>Whether what <see cref="DeployAsync"/> made is up and healthy.</summary>
    Task<StageCheck> CheckAsync(StageInput input, CancellationToken cancellationToken);

    /// <summary>Removes what this stage deployed; stages are destroyed in descending priority.</summary>
    Task DestroyAsync(StageInput input, CancellationToken cancellationToken);
}

/// <summary>
/// What a stage is given: the deployment's configuration (the operator's settings for the platform) and the outputs of the
/// stages that ran before it, by stage name.
/// </summary>
public sealed record StageInput(
    IReadOnlyDictionary<string, string> Configuration,
    IReadOnlyDictionary<string, StageOutput> EarlierOutputs);

/// <summary>What a deployed stage tells later stages (addresses, names of what it created), as strings.</summary>
public sealed record StageOutput(IReadOnlyDictionary<string, string> Values)
{
    public static StageOutput None { get; } = new(new Dictionary<string, string>());
}

/// <summary>A stage's check: passed, or failed with a message for the operator.</summary>
public sealed record StageCheck(bool Passed, string? Message)
{
    public static StageCheck Pass { get; } = new(true, null);

    public static StageCheck Fail(string message) => new(false, message);
}
