namespace Platform.Hosting.Publishing;

/// <summary>A kustomization.yaml: KubernetesClient has no model for kustomize's own file, so these records are its shape.</summary>
internal sealed record Kustomization
{
    public string ApiVersion { get; init; } = "kustomize.config.k8s.io/v1beta1";
    public string Kind { get; init; } = "Kustomization";
    public string? Namespace { get; init; }
    public IReadOnlyList<string> Resources { get; init; } = [];
    public IReadOnlyList<SecretGenerator>? SecretGenerator { get; init; }
    public IReadOnlyList<KustomizeImage>? Images { get; init; }
    public IReadOnlyList<KustomizePatch>? Patches { get; init; }
}

internal sealed record SecretGenerator(string Name, IReadOnlyList<string> Envs);

internal sealed record KustomizeImage(string Name, string NewName, string NewTag);

/// <summary>A JSON 6902 patch (as YAML text) applied to every resource of the target's kind.</summary>
internal sealed record KustomizePatch(KustomizeTarget Target, string Patch);

internal sealed record KustomizeTarget(string Kind);
