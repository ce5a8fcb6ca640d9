using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace Platform.Hosting;

public static class ServiceExtensions
{
    /// <summary>The Proxy's public port: <c>Platform:PublicPort</c>, else 8000 (dask-gateway's default).</summary>
    public static int PublicPort(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Configuration.GetValue("Platform:PublicPort", 8000);
    }

    /// <summary>An HTTP endpoint on a port DCP allocates, and <c>/health</c> as the readiness others wait for.</summary>
    public static IResourceBuilder<ProjectResource> WithServiceEndpoint(this IResourceBuilder<ProjectResource> project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return project.WithHttpEndpoint(name: "http").WithHttpHealthCheck("/health");
    }
}
