namespace Platform.Plugins.Model;

/// <summary>The operator's settings (<c>Plugins:*</c>) for what this service runs; loading's own are <c>PluginLoadingSettings</c>.</summary>
public sealed class PluginSettings
{
    public const string SectionName = "Plugins";

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
