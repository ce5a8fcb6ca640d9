namespace Platform.Plugins.Sdk.Handlers;

/// <summary>
/// Handles one cluster event. Throw <see cref="TemporaryHandlerException"/> to retry later, <see cref="PermanentHandlerException"/>
/// to give up; any other exception is retried with backoff. Honour the token: it is cancelled at the timeout.
/// </summary>
public delegate Task ClusterHandler(ClusterHandlerContext context, CancellationToken cancellationToken);

/// <summary>What a handler knows about the event it handles, and how it annotates the cluster.</summary>
public sealed class ClusterHandlerContext
{
    private readonly Dictionary<string, string> annotations = new(StringComparer.Ordinal);

    public ClusterHandlerContext(string clusterName, string owner, IReadOnlyDictionary<string, string> labels, string trigger, ClusterPhase? fromPhase, ClusterPhase phase, int attempt)
    {
        ClusterName = clusterName;
        Owner = owner;
        Labels = labels;
        Trigger = trigger;
        FromPhase = fromPhase;
        Phase = phase;
        Attempt = attempt;
    }

    public string ClusterName { get; }

    public string Owner { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>What started this run: <c>created</c>, <c>running</c>, <c>scaled</c>, <c>stopping</c>, <c>stopped</c>, <c>failed</c> or <c>timer</c>.</summary>
    public string Trigger { get; }

    /// <summary>The phase the platform last knew before this event; null when this is the first it saw of the cluster.</summary>
    public ClusterPhase? FromPhase { get; }

    public ClusterPhase Phase { get; }

    /// <summary>1 for the first attempt.</summary>
    public int Attempt { get; }

    /// <summary>Details of the event (scheduler address, requested workers, failure reason), by name.</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Annotations => annotations;

    /// <summary>Attaches <paramref name="key"/>=<paramref name="value"/> to the cluster once this run succeeds; the platform's cluster API shows it.</summary>
    public void Annotate(string key, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        annotations[key] = value ?? "";
    }
}
