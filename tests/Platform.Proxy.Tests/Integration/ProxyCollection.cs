using Platform.Testing;

namespace Platform.Proxy.Tests.Integration;

/// <summary>One RabbitMQ (and PostgreSQL, for Auth) for all integration tests of the Proxy.</summary>
[CollectionDefinition(Name)]
public sealed class ProxyCollection : ICollectionFixture<InfrastructureFixture>
{
    public const string Name = "proxy-infrastructure";
}
