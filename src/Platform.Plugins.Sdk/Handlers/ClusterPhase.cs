namespace Platform.Plugins.Sdk.Handlers;

/// <summary>The phases of a cluster, as dask-gateway names its status.</summary>
public enum ClusterPhase
{
    Pending,
    Running,
    Stopping,
    Stopped,
    Failed,
}

/// <summary>The cluster events a handler can follow (combinable).</summary>
[Flags]
public enum ClusterEvents
{
    None = 0,
    Created = 1,
    Running = 2,
    Scaled = 4,
    Stopping = 8,
    Stopped = 16,
    Failed = 32,
    All = Created | Running | Scaled | Stopping | Stopped | Failed,
}
