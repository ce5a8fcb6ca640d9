namespace Platform.Testing.Servers;

/// <summary>Where a local PostgreSQL keeps its cluster, password and socket, and which loopback port it takes.</summary>
public sealed record PostgresServerOptions(string DataDirectory)
{
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>Receives every line the server (and initdb) prints.</summary>
    public Action<string>? Output { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
