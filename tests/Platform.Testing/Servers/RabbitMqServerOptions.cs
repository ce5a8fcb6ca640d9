namespace Platform.Testing.Servers;

/// <summary>Where a local RabbitMQ node keeps its database, config and logs, and which loopback port AMQP takes.</summary>
public sealed record RabbitMqServerOptions(string DataDirectory)
{
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>Receives every line the broker and its epmd print.</summary>
    public Action<string>? Output { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);
}
