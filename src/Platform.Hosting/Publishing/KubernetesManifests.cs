using System.Text.Json.Nodes;

namespace Platform.Hosting.Publishing;

/// <summary>
/// The Kubernetes objects for an application: a StatefulSet per piece of infrastructure, a Deployment and
/// Service per project, wired the same way the local run wires them (ConnectionStrings__*, services__*__http__0),
/// with passwords from one generated Secret. Image names are the plain ones; overlays retarget them.
/// </summary>
internal static class KubernetesManifests
{
    public const string SecretName = "platform-secrets";
    public const int ProjectPort = 8080;

    public static string ProjectImage(ProjectResource project) => $"platform/{project.Name}";

    public static IReadOnlyList<JsonNode> For(Resource resource) => resource switch
    {
        PostgresServerResource postgres => Postgres(postgres),
        RabbitMqResource rabbit => RabbitMq(rabbit),
        ObjectStoreResource objects => ObjectStore(objects),
        ProjectResource project => Project(project),
        _ => [], // databases live inside their server's manifests
    };

    /// <summary>Secret keys the generated secrets.env must hold: server passwords, and the services' shared secrets (hex).</summary>
    public static IEnumerable<string> SecretKeys(IEnumerable<Resource> resources) =>
        resources.Select(r => r switch
        {
            PostgresServerResource p => SecretKey(p),
            RabbitMqResource m => SecretKey(m),
            ObjectStoreResource o => SecretKey(o),
            _ => null,
        }).OfType<string>()
        .Concat(SharedSecretKeys(resources));

    /// <summary>Keys of <see cref="SecretParameter"/>s, whose values are 32 random bytes in hex.</summary>
    public static IEnumerable<string> SharedSecretKeys(IEnumerable<Resource> resources) =>
        resources.OfType<ProjectResource>().SelectMany(p => p.SecretEnvironment.Values).Select(s => s.Name).Distinct();

    private static string SecretKey(Resource resource) => $"{resource.Name}-password";

    private static JsonNode[] Postgres(PostgresServerResource postgres)
    {
        var init = string.Join("\n", postgres.Databases.Select(d => $"CREATE DATABASE \"{d.DatabaseName}\";")) + "\n";
        JsonNode configMap = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = Metadata($"{postgres.Name}-init", postgres.Name),
            ["data"] = new JsonObject { ["databases.sql"] = init },
        };
        var container = Container(postgres.Name, "docker.io/library/postgres:15", 5432);
        container["env"] = new JsonArray(
            SecretEnv("POSTGRES_PASSWORD", SecretKey(postgres)),
            Env("PGDATA", "/var/lib/postgresql/data/pgdata"));
        container["volumeMounts"] = new JsonArray(
            new JsonObject { ["name"] = "data", ["mountPath"] = "/var/lib/postgresql/data" },
            new JsonObject { ["name"] = "init", ["mountPath"] = "/docker-entrypoint-initdb.d" });
        container["readinessProbe"] = new JsonObject { ["exec"] = new JsonObject { ["command"] = new JsonArray("pg_isready", "-U", "postgres") }, ["periodSeconds"] = 5 };
        var volumes = new JsonArray(new JsonObject { ["name"] = "init", ["configMap"] = new JsonObject { ["name"] = $"{postgres.Name}-init" } });
        return [configMap, StatefulSet(postgres.Name, container, volumes, "5Gi"), Service(postgres.Name, 5432, 5432)];
    }

    private static JsonNode[] RabbitMq(RabbitMqResource rabbit)
    {
        var container = Container(rabbit.Name, "docker.io/library/rabbitmq:3.13", 5672);
        container["env"] = new JsonArray(Env("RABBITMQ_DEFAULT_USER", "platform"), SecretEnv("RABBITMQ_DEFAULT_PASS", SecretKey(rabbit)));
        container["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "data", ["mountPath"] = "/var/lib/rabbitmq" });
        container["readinessProbe"] = new JsonObject { ["tcpSocket"] = new JsonObject { ["port"] = 5672 }, ["periodSeconds"] = 5 };
        return [StatefulSet(rabbit.Name, container, [], "1Gi"), Service(rabbit.Name, 5672, 5672)];
    }

    private static JsonNode[] ObjectStore(ObjectStoreResource objects)
    {
        var container = Container(objects.Name, "docker.io/minio/minio:latest", 9000);
        container["args"] = new JsonArray("server", "/data");
        container["env"] = new JsonArray(Env("MINIO_ROOT_USER", "platform"), SecretEnv("MINIO_ROOT_PASSWORD", SecretKey(objects)));
        container["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "data", ["mountPath"] = "/data" });
        container["readinessProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/minio/health/ready", ["port"] = 9000 }, ["periodSeconds"] = 5 };
        return [StatefulSet(objects.Name, container, [], "10Gi"), Service(objects.Name, 9000, 9000)];
    }

    private static JsonNode[] Project(ProjectResource project)
    {
        var environment = new JsonArray();
        // Secrets first: Kubernetes expands $(NAME) only for variables defined earlier in the list.
        foreach (var reference in project.ConnectionReferences)
        {
            var owner = reference switch
            {
                PostgresDatabaseResource d => (Resource)d.Server,
                Resource r => r,
                _ => throw new InvalidOperationException($"Cannot publish a reference to '{reference.Name}'."),
            };
            var variable = SecretVariable(owner);
            if (!environment.OfType<JsonObject>().Any(e => e["name"]!.GetValue<string>() == variable))
                environment.Add(SecretEnv(variable, SecretKey(owner)));
        }
        environment.Add(Env("ASPNETCORE_URLS", $"http://+:{ProjectPort}"));
        environment.Add(Env("ASPNETCORE_ENVIRONMENT", "Production"));
        environment.Add(Env("OTEL_SERVICE_NAME", project.Name));
        foreach (var reference in project.ConnectionReferences)
            environment.Add(Env($"ConnectionStrings__{reference.Name}", ClusterConnectionString(reference)));
        foreach (var referenced in project.ServiceReferences)
            environment.Add(Env($"services__{referenced.Name}__http__0", $"http://{referenced.Name}:{ProjectPort}"));
        foreach (var (key, value) in project.ExtraEnvironment)
            environment.Add(Env(key, value));
        foreach (var (key, secret) in project.SecretEnvironment)
            environment.Add(SecretEnv(key, secret.Name));

        var container = Container(project.Name, ProjectImage(project), ProjectPort);
        container["env"] = environment;
        container["readinessProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/health", ["port"] = ProjectPort }, ["periodSeconds"] = 10 };
        container["livenessProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/alive", ["port"] = ProjectPort }, ["periodSeconds"] = 20, ["initialDelaySeconds"] = 20 };
        JsonNode deployment = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = Metadata(project.Name, project.Name),
            ["spec"] = new JsonObject
            {
                ["replicas"] = 1,
                ["selector"] = new JsonObject { ["matchLabels"] = Labels(project.Name) },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = Labels(project.Name) },
                    ["spec"] = new JsonObject { ["containers"] = new JsonArray(container) },
                },
            },
        };
        var service = project.HasExternalHttpEndpoints
            ? Service(project.Name, 80, ProjectPort, type: "LoadBalancer")
            : Service(project.Name, ProjectPort, ProjectPort);
        return [deployment, service];
    }

    private static string SecretVariable(Resource owner) => owner.Name.ToUpperInvariant().Replace('-', '_') + "_PASSWORD";

    private static string ClusterConnectionString(IResourceWithConnectionString reference) => reference switch
    {
        PostgresDatabaseResource d => $"Host={d.Server.Name};Port=5432;Username=postgres;Password=$({SecretVariable(d.Server)});Database={d.DatabaseName}",
        PostgresServerResource s => $"Host={s.Name};Port=5432;Username=postgres;Password=$({SecretVariable(s)});Database=postgres",
        RabbitMqResource m => $"amqp://platform:$({SecretVariable(m)})@{m.Name}:5672/",
        ObjectStoreResource o => $"Endpoint=http://{o.Name}:9000;AccessKey=platform;SecretKey=$({SecretVariable(o)});Bucket=platform",
        _ => throw new InvalidOperationException($"Cannot publish a reference to '{reference.Name}'."),
    };

    private static JsonObject Container(string name, string image, int port) => new()
    {
        ["name"] = name,
        ["image"] = image,
        ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = port }),
    };

    private static JsonObject StatefulSet(string name, JsonObject container, JsonArray volumes, string storage) => new JsonObject
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "StatefulSet",
        ["metadata"] = Metadata(name, name),
        ["spec"] = new JsonObject
        {
            ["serviceName"] = name,
            ["replicas"] = 1,
            ["selector"] = new JsonObject { ["matchLabels"] = Labels(name) },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = Labels(name) },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(container), ["volumes"] = volumes },
            },
            ["volumeClaimTemplates"] = new JsonArray(new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "data" },
                ["spec"] = new JsonObject
                {
                    ["accessModes"] = new JsonArray("ReadWriteOnce"),
                    ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = storage } },
                },
            }),
        },
    };

    private static JsonObject Service(string name, int port, int targetPort, string type = "ClusterIP") => new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = Metadata(name, name),
        ["spec"] = new JsonObject
        {
            ["type"] = type,
            ["selector"] = Labels(name),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "main", ["port"] = port, ["targetPort"] = targetPort }),
        },
    };

    private static JsonObject Metadata(string name, string app) => new() { ["name"] = name, ["labels"] = Labels(app) };

    private static JsonObject Labels(string app) => new() { ["app.kubernetes.io/name"] = app, ["app.kubernetes.io/part-of"] = "platform" };

    private static JsonObject Env(string name, string value) => new() { ["name"] = name, ["value"] = value };

    private static JsonObject SecretEnv(string name, string key) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["name"] = SecretName, ["key"] = key } },
    };
}
