using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting;

public static class ServiceExtensions
{
    /// <summary>The Proxy's public port: <c>Platform:PublicPort</c>, else 8000 (dask-gateway's default).</summary>
    public static int PublicPort(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Configuration.GetValue("Platform:PublicPort", 8000);
    }

    /// <summary>
    /// An HTTP endpoint, and <c>/health</c> as the readiness others wait for. Locally on a port chosen here and not
    /// behind DCP's proxy: after the restart policy started a killed service again, DCP's proxied port sometimes
    /// stopped answering while the new process listened (seen in the fault suite), and every call paid the extra hop.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServiceEndpoint(this IResourceBuilder<ProjectResource> project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var endpoint = project.ApplicationBuilder.ExecutionContext.IsRunMode
            ? project.WithHttpEndpoint(port: FreePort.Pick(), name: "http", isProxied: false)
            : project.WithHttpEndpoint(name: "http");
        return endpoint.WithHttpHealthCheck("/health");
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

    /// <summary>
    /// glibc's malloc gives threads that contend for it arenas of their own (up to 8 per core), each keeping what was
    /// freed in it. A service allocates natively mostly while loading types and JIT-compiling, so two arenas are enough:
    /// 2-4 MB less RSS per idle service and no latency change in bench/Memory. Set locally and published (Kubernetes).
    /// </summary>
    public static IDistributedApplicationBuilder LimitMallocArenas(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(variables => variables["MALLOC_ARENA_MAX"] = "2"));
        }

        return builder;
    }
}
