namespace Platform.Plugins.Loading;

/// <summary>The operator's settings for loading plugins (<c>Plugins:*</c>), the same in every service that hosts them.</summary>
public sealed class PluginLoadingSettings
{
    public const string SectionName = "Plugins";

    /// <summary>Packages above this are refused (uploads with 422; extension packages are skipped).</summary>
    public long MaxPackageBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>A folder of <c>.nupkg</c> files loaded and enabled at start (a mounted ConfigMap on Kubernetes); none when empty.</summary>
    public string? ExtensionsPath { get; set; }

    public TimeSpan InitializeTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
