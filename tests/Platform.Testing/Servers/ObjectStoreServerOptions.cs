namespace Platform.Testing.Servers;

/// <summary>Where the object store keeps objects, and which loopback port its S3 server (MinIO or s3rver) takes.</summary>
public sealed record ObjectStoreServerOptions(string DataDirectory)
{
    /// <summary>0 picks a free port (the folder store has no port).</summary>
    public int Port { get; init; }

    public Action<string>? Output { get; init; }

    public string Bucket { get; init; } = "platform";

    /// <summary>The explicit offline choice: a plain folder instead of an S3 server.</summary>
    public bool Offline { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
