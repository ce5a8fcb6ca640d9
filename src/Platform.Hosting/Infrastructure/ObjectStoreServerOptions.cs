namespace Platform.Hosting.Infrastructure;

/// <summary>Where the object store keeps objects, and which loopback port MinIO takes when it is used.</summary>
public sealed record ObjectStoreServerOptions(string DataDirectory)
{
    /// <summary>0 picks a free port (MinIO only; the folder store has no port).</summary>
    public int Port { get; init; }

    public Action<string>? Output { get; init; }

    public string Bucket { get; init; } = "platform";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
