namespace Platform.Plugins.Sdk.Deployments;

/// <summary>
/// Deploys something the platform does not know natively (the Pi layer's <c>DeploymentPlugin</c>): <c>DeployAsync(config)</c>
/// and <c>StatusAsync(name)</c>. Stages of deploying the platform itself are <see cref="Stages.IDeploymentStage"/>.
/// </summary>
public interface IDeploymentPlugin
{
    /// <summary>The kind of deployment this plugin handles, unique within the plugin.</summary>
    string Kind { get; }

    Task<DeploymentStatus> DeployAsync(DeploymentConfig config, CancellationToken cancellationToken);

    Task<DeploymentStatus> StatusAsync(string name, CancellationToken cancellationToken);
}

/// <summary>What to deploy: a name and the plugin-specific settings.</summary>
public sealed record DeploymentConfig(string Name, IReadOnlyDictionary<string, string> Settings, string RequestedBy);

/// <summary>Where a deployment is: e.g. <c>pending</c>, <c>ready</c>, <c>failed</c>, <c>unknown</c>, with a message.</summary>
public sealed record DeploymentStatus(string Name, string State, string? Message);
