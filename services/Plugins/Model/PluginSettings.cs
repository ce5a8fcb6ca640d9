namespace Platform.Plugins.Model;

/// <summary>The operator's settings (<c>Plugins:*</c>).</summary>
public sealed class PluginSettings
{
    public const string SectionName = "Plugins";

    /// <summary>Uploads above this are refused with 422.</summary>
    public long MaxPackageBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>A folder of <c>.nupkg</c> files loaded and enabled at start (a mounted ConfigMap on Kubernetes); none when empty.</summary>
    public string? ExtensionsPath { get; set; }

    public TimeSpan InitializeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Handler runs of one plugin executing at once; a plugin that floods or hangs uses only its own slots.</summary>
    public int ConcurrencyPerPlugin { get; set; } = 4;

    /// <summary>How often the dispatcher looks for due retries when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often timer handlers are checked for being due.</summary>
    public TimeSpan TimerTick { get; set; } = TimeSpan.FromSeconds(1);

    public ValidatorSettings Validators { get; set; } = new();
}

public sealed class ValidatorSettings
{
    /// <summary>The default time one validator may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>When a validator throws or times out: allow the request (true) or refuse it (false, as Kubernetes' failurePolicy: Fail).</summary>
    public bool FailOpen { get; set; }
}
