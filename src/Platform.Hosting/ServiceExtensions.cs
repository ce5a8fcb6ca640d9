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

    /// <summary>
    /// Every project runs locally under <paramref name="environmentName"/>: DCP does not pass the AppHost's own
    /// environment name on, so without this a service's environment would be whatever its launch profile says.
    /// </summary>
    public static IDistributedApplicationBuilder RunServicesAs(this IDistributedApplicationBuilder builder, string environmentName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.ExecutionContext.IsRunMode)
        {
            foreach (var project in builder.Resources.OfType<ProjectResource>())
            {
                project.Annotations.Add(new EnvironmentCallbackAnnotation(variables =>
                {
                    variables["DOTNET_ENVIRONMENT"] = environmentName;
                    variables["ASPNETCORE_ENVIRONMENT"] = environmentName;
                }));
            }
        }

        return builder;
    }
}
