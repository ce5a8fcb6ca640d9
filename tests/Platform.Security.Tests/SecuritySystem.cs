using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Platform.Testing;

namespace Platform.Security.Tests;

/// <summary>
/// The system the fuzz suite and the access matrix attack: the real AppHost, with webhooks allowed to 127.0.0.1 (so a
/// user can create an endpoint), no login throttle (the fuzz suite sends thousands of bad credentials from one address;
/// a throttled 429 would hide what is behind it), and a fuzzing user who may not start any cluster, so no malformed
/// request that happens to be valid starts Dask processes.
/// </summary>
public sealed class SecuritySystem : RunningSystem<Projects.Platform_AppHost>
{
    public const string Fuzzer = "mallory";

    protected override IEnumerable<string> ExtraArguments => ["--Parameters:webhooks-allowed-hosts=127.0.0.1"];

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        builder.CreateResourceBuilder<ProjectResource>("auth")
            .WithEnvironment("Auth__RateLimit__ClientFailures", "1000000")
            .WithEnvironment("Auth__RateLimit__UserFailures", "1000000");
        builder.CreateResourceBuilder<ProjectResource>("clusters")
            .WithEnvironment($"Clusters__Quotas__Users__{Fuzzer}__MaxClusters", "0");
    }
}

[CollectionDefinition(Name)]
public sealed class SecuritySystemCollection : ICollectionFixture<SecuritySystem>
{
    public const string Name = "running system";
}
