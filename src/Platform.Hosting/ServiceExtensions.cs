using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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

    /// <summary>Every project's process environment: locally <paramref name="environmentName"/> (DCP does not pass the AppHost's
    /// on); published too, MALLOC_ARENA_MAX=2 (glibc gives contending threads up to 8 arenas per core, each keeping what was
    /// freed in it; two take 2-4 MB off a service's idle RSS at no latency cost in bench/Memory) and
    /// DOTNET_JitHostMaxSlabCache=0: the runtime keeps up to 16 MB of the JIT's freed scratch blocks for the next compile
    /// and releases them only when its finalizer thread runs, which an idle service rarely makes it do; so each service
    /// held ~5 MB of them at idle (glibc malloc 10.7 -> 5.6 MB, bench/Memory and heaptrack; README, memory section). Freed
    /// at once they return to glibc, which serves the next compile's blocks from them: no start-up or latency cost measured.</summary>
    public static IDistributedApplicationBuilder ConfigureServiceProcesses(this IDistributedApplicationBuilder builder, string environmentName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var project in builder.Resources.OfType<ProjectResource>().Select(builder.CreateResourceBuilder))
        {
            project.WithEnvironment("MALLOC_ARENA_MAX", "2");
            project.WithEnvironment("DOTNET_JitHostMaxSlabCache", "0");
            if (builder.ExecutionContext.IsRunMode)
            {
                project.WithEnvironment("DOTNET_ENVIRONMENT", environmentName).WithEnvironment("ASPNETCORE_ENVIRONMENT", environmentName);
            }
        }

        return builder;
    }

    /// <summary>Once every resource is healthy, the console says where everything is (<see cref="StartupSummary"/>).</summary>
    public static IDistributedApplicationBuilder AddStartupSummary(this IDistributedApplicationBuilder builder) =>
        builder.AddLocalRunService<StartupSummary>();

    /// <summary>Locally, a service or server that crashes is started again (<see cref="RestartPolicy"/>).</summary>
    public static IDistributedApplicationBuilder AddRestartOnCrash(this IDistributedApplicationBuilder builder) =>
        builder.AddLocalRunService<RestartPolicy>();

    private static IDistributedApplicationBuilder AddLocalRunService<T>(this IDistributedApplicationBuilder builder)
        where T : class, IHostedService
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Services.AddHostedService<T>();
        }

        return builder;
    }
}
