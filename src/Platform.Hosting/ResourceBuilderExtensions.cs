namespace Platform.Hosting;

/// <summary>Declaring resources and how they connect: the vocabulary of the AppHost's Program.cs.</summary>
public static class ResourceBuilderExtensions
{
    public static IResourceBuilder<PostgresServerResource> AddPostgres(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var port = builder.Ports.Resolve(name, PostgresServerResource.DefaultPort);
        return builder.AddResource(new PostgresServerResource(name, port, Configured(builder, name)));
    }

    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name)
    {
        ArgumentNullException.ThrowIfNull(server);
        var database = new PostgresDatabaseResource(name, server.Resource, Configured(server.ApplicationBuilder, name));
        server.Resource.DatabaseList.Add(database);
        return server.ApplicationBuilder.AddResource(database);
    }

    public static IResourceBuilder<RabbitMqResource> AddRabbitMQ(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var port = builder.Ports.Resolve(name, RabbitMqResource.DefaultPort);
        return builder.AddResource(new RabbitMqResource(name, port, Configured(builder, name)));
    }

    public static IResourceBuilder<ObjectStoreResource> AddObjectStore(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var port = builder.Ports.Resolve(name, ObjectStoreResource.DefaultPort);
        return builder.AddResource(new ObjectStoreResource(name, port, Configured(builder, name)));
    }

    /// <summary>A project by its .csproj path, relative to the AppHost project folder.</summary>
    public static IResourceBuilder<ProjectResource> AddProject(this DistributedApplicationBuilder builder, string name, string projectPath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var fullPath = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, projectPath));
        var port = builder.Ports.Resolve(name, builder.Ports.NextProjectDefault());
        return builder.AddResource(new ProjectResource(name, fullPath, port));
    }

    /// <summary>Gives the project a fixed default port (still shifted by Platform:PortBase, and overridable).</summary>
    public static IResourceBuilder<ProjectResource> WithHttpPort(this IResourceBuilder<ProjectResource> project, int port)
    {
        ArgumentNullException.ThrowIfNull(project);
        project.Resource.SetPort(project.ApplicationBuilder.Ports.Resolve(project.Resource.Name, port));
        return project;
    }

    /// <summary>Marks the project as the public entry point: published with a LoadBalancer service.</summary>
    public static IResourceBuilder<ProjectResource> WithExternalHttpEndpoints(this IResourceBuilder<ProjectResource> project)
    {
        ArgumentNullException.ThrowIfNull(project);
        project.Resource.HasExternalHttpEndpoints = true;
        return project;
    }

    /// <summary>Injects <c>ConnectionStrings__&lt;name&gt;</c>.</summary>
    public static IResourceBuilder<ProjectResource> WithReference<T>(this IResourceBuilder<ProjectResource> project, IResourceBuilder<T> source)
        where T : Resource, IResourceWithConnectionString
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        project.Resource.ConnectionReferenceList.Add(source.Resource);
        return project;
    }

    /// <summary>Injects <c>services__&lt;name&gt;__http__0</c> (the referenced project's URL) for service discovery.</summary>
    public static IResourceBuilder<ProjectResource> WithReference(this IResourceBuilder<ProjectResource> project, IResourceBuilder<ProjectResource> service)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        project.Resource.ServiceReferenceList.Add(service.Resource);
        return project;
    }

    /// <summary>Holds this resource until <paramref name="dependency"/> is healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> resource, IResourceBuilder<Resource> dependency) where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(dependency);
        if (ReferenceEquals(resource.Resource, dependency.Resource))
            throw new InvalidOperationException($"'{resource.Resource.Name}' cannot wait for itself.");
        resource.Resource.WaitList.Add(dependency.Resource);
        return resource;
    }

    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> project, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentException.ThrowIfNullOrEmpty(name);
        project.Resource.ExtraEnvironment[name] = value;
        return project;
    }

    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> project, string name, SecretParameter secret)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(secret);
        project.Resource.SecretEnvironment[name] = secret;
        return project;
    }

    /// <summary>A variable for local runs only (a folder on this machine, a dev policy); published manifests leave it out.</summary>
    public static IResourceBuilder<ProjectResource> WithLocalEnvironment(this IResourceBuilder<ProjectResource> project, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentException.ThrowIfNullOrEmpty(name);
        project.Resource.LocalEnvironment[name] = value;
        return project;
    }

    /// <summary>The project runs <paramref name="executable"/> itself; the AppHost installs <paramref name="debianPackage"/> if it is missing.</summary>
    public static IResourceBuilder<ProjectResource> WithHostPrerequisite(this IResourceBuilder<ProjectResource> project, string what, string debianPackage, string executable)
    {
        ArgumentNullException.ThrowIfNull(project);
        project.Resource.Prerequisites.Add(new HostPrerequisite(what, debianPackage, executable));
        return project;
    }

    private static string? Configured(DistributedApplicationBuilder builder, string name) =>
        builder.Configuration.GetSection("ConnectionStrings")[name] is { Length: > 0 } value ? value : null;
}
