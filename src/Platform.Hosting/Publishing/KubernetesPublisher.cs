using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;

namespace Platform.Hosting.Publishing;

/// <summary>
/// Kubernetes manifests for the Pi cluster, written from Aspire's own manifest (the application model as Aspire
/// publishes it) beside it: a kustomize base (one file per resource; parameters with a default or a generated value as
/// one Secret from a git-ignored secrets.env, secret parameters without one from a Secret the operator creates) and a Raspberry Pi overlay (arm64 nodes, small requests, images from the cluster's registry).
/// </summary>
public static partial class KubernetesPublisher
{
    public const string Namespace = "platform";
    public const string SecretName = "platform-secrets";

    /// <summary>The Secret the operator creates before deploying: every secret parameter Aspire's manifest gives no default.</summary>
    public const string OperatorSecretName = "platform-credentials";
    public const string PiRegistry = "registry.pi.local:5000";
    private const int ProjectPort = 8080;

    /// <summary>
    /// After <c>--publisher manifest --output-path X/aspire-manifest.json</c> has run, writes X/base and X/overlays/pi
    /// from that manifest; does nothing for any other run.
    /// </summary>
    public static void PublishBesideManifest(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration["Publishing:Publisher"] == "manifest" && configuration["Pipeline:OutputPath"] is { Length: > 0 } path)
        {
            var manifest = Path.GetFullPath(Directory.Exists(path) ? Path.Combine(path, "aspire-manifest.json") : path);
            Publish(manifest, Path.GetDirectoryName(manifest)!);
        }
    }

    public static void Publish(string aspireManifestPath, string output)
    {
        var resources = JsonNode.Parse(File.ReadAllText(aspireManifestPath))!["resources"]!.AsObject();
        var model = new PublishedModel(resources);
        var baseDirectory = Path.Combine(output, "base");
        Directory.CreateDirectory(baseDirectory);
        var files = new List<string> { "namespace.yaml" };
        Write(Path.Combine(baseDirectory, "namespace.yaml"), new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = Namespace } });
        foreach (var (name, resource) in resources)
        {
            object[] documents = resource!["type"]!.GetValue<string>() switch
            {
                "container.v0" => Container(model, name, resource.AsObject()),
                "project.v0" => Project(model, name, resource.AsObject()),
                _ => [], // parameters and values are resolved where they are used
            };
            if (documents.Length > 0)
            {
                files.Add($"{name}.yaml");
                Write(Path.Combine(baseDirectory, $"{name}.yaml"), documents);
            }
        }

        WriteSecrets(baseDirectory, model);
        Write(Path.Combine(baseDirectory, "kustomization.yaml"), new Kustomization
        {
            Namespace = Namespace,
            Resources = files,
            SecretGenerator = [new SecretGenerator(SecretName, ["secrets.env"])],
        });
        var pi = Path.Combine(output, "overlays", "pi");
        Directory.CreateDirectory(pi);
        Write(Path.Combine(pi, "kustomization.yaml"), PiOverlay(resources.Where(r => r.Value!["type"]!.GetValue<string>() == "project.v0").Select(r => r.Key)));
    }

    private static void Write(string path, params object[] documents) =>
        File.WriteAllText(path, string.Join("---\n", documents.Select(d => KubernetesYaml.Serialize(d).TrimEnd() + "\n")));

    private static object[] Container(PublishedModel model, string name, JsonObject resource)
    {
        var port = model.TargetPort(name);
        var volumes = resource["volumes"]?.AsArray() ?? [];
        var container = new V1Container
        {
            Name = name,
            Image = resource["image"]!.GetValue<string>(),
            Ports = [new V1ContainerPort { ContainerPort = port }],
            Env = model.Environment(resource),
            Args = resource["args"] is JsonArray args ? [.. args.Select(a => model.Resolve(a!.GetValue<string>()))] : null,
            VolumeMounts = [.. volumes.Select((v, i) => new V1VolumeMount { Name = $"data{i}", MountPath = v!["target"]!.GetValue<string>() })],
            ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = port }, PeriodSeconds = 5 },
        };
        var statefulSet = new V1StatefulSet
        {
            ApiVersion = "apps/v1",
            Kind = "StatefulSet",
            Metadata = Metadata(name),
            Spec = new V1StatefulSetSpec
            {
                Replicas = 1,
                ServiceName = name,
                Selector = new V1LabelSelector { MatchLabels = Labels(name) },
                Template = PodTemplate(name, container),
                VolumeClaimTemplates = [.. volumes.Select((_, i) => new V1PersistentVolumeClaim
                {
                    Metadata = new V1ObjectMeta { Name = $"data{i}" },
                    Spec = new V1PersistentVolumeClaimSpec
                    {
                        AccessModes = ["ReadWriteOnce"],
                        Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("2Gi") } },
                    },
                })],
            },
        };
        return [statefulSet, Service(name, port, port, external: false)];
    }

    private static object[] Project(PublishedModel model, string name, JsonObject resource)
    {
        var environment = model.Environment(resource);
        environment.Add(new V1EnvVar { Name = "ASPNETCORE_URLS", Value = $"http://+:{ProjectPort}" });
        var container = new V1Container
        {
            Name = name,
            Image = $"platform/{name}",
            Ports = [new V1ContainerPort { ContainerPort = ProjectPort }],
            Env = environment,
            ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/health", Port = ProjectPort }, PeriodSeconds = 10 },
            LivenessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/alive", Port = ProjectPort }, PeriodSeconds = 20, InitialDelaySeconds = 20 },
        };
        var deployment = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Metadata(name),
            Spec = new V1DeploymentSpec { Replicas = 1, Selector = new V1LabelSelector { MatchLabels = Labels(name) }, Template = PodTemplate(name, container) },
        };
        var external = resource["bindings"]?.AsObject().Any(b => b.Value!["external"]?.GetValue<bool>() == true) == true;
        return [deployment, Service(name, external ? 80 : ProjectPort, ProjectPort, external)];
    }

    /// <summary>Keeps existing values (re-publishing must not change live secrets) and fills in missing ones.</summary>
    private static void WriteSecrets(string directory, PublishedModel model)
    {
        var path = Path.Combine(directory, "secrets.env");
        var generated = model.Parameters.Where(p => !PublishedModel.IsOperatorSupplied(p.Parameter)).ToList();
        var kept = File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal)).ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..])
            : [];
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, parameter) in generated)
        {
            var inputs = parameter["inputs"]?["value"];
            values[name] = kept.TryGetValue(name, out var value) ? value
                : inputs?["default"]?["value"]?.GetValue<string>()
                    ?? Infrastructure.GeneratedSecret.NewPassword(64);
        }

        File.WriteAllText(path, string.Concat(values.Select(e => $"{e.Key}={e.Value}\n")));
        Infrastructure.UnixFile.SetMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(directory, ".gitignore"), "secrets.env\n");
    }

    private static Kustomization PiOverlay(IEnumerable<string> projects) => new()
    {
        Resources = ["../../base"],
        Images = [.. projects.Select(p => new KustomizeImage($"platform/{p}", $"{PiRegistry}/platform/{p}", "latest"))],
        Patches =
        [
            OnArm64("Deployment"),
            OnArm64("StatefulSet"),
            // A Pi has 4-8 GB for everything: ask for little, cap each service, and use the workstation GC.
            new KustomizePatch(new KustomizeTarget("Deployment"), """
                - op: add
                  path: /spec/template/spec/containers/0/resources
                  value: {requests: {cpu: 50m, memory: 96Mi}, limits: {memory: 256Mi}}
                - op: add
                  path: /spec/template/spec/containers/0/env/-
                  value: {name: DOTNET_gcServer, value: "0"}
                """),
        ],
    };

    private static KustomizePatch OnArm64(string kind) => new(new KustomizeTarget(kind), """
        - op: add
          path: /spec/template/spec/nodeSelector
          value: {kubernetes.io/arch: arm64}
        """);

    private static V1PodTemplateSpec PodTemplate(string name, V1Container container) => new()
    {
        Metadata = new V1ObjectMeta { Labels = Labels(name) },
        Spec = new V1PodSpec { Containers = [container] },
    };

    private static V1Service Service(string name, int port, int targetPort, bool external) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Metadata(name),
        Spec = new V1ServiceSpec
        {
            Type = external ? "LoadBalancer" : "ClusterIP",
            Selector = Labels(name),
            Ports = [new V1ServicePort { Name = "main", Port = port, TargetPort = targetPort }],
        },
    };

    private static V1ObjectMeta Metadata(string name) => new() { Name = name, Labels = Labels(name) };

    private static Dictionary<string, string> Labels(string app) => new() { ["app.kubernetes.io/name"] = app, ["app.kubernetes.io/part-of"] = "platform" };

    /// <summary>Aspire's expressions: <c>{resource.connectionString}</c>, <c>{param.value}</c>, <c>{resource.bindings.name.host|port|targetPort|url}</c>.</summary>
    [GeneratedRegex(@"\{([A-Za-z0-9-]+)\.([A-Za-z0-9.]+)\}")]
    internal static partial Regex Expression();
}

/// <summary>Aspire's manifest, resolved the way Kubernetes runs it: parameters come from the Secret, hosts are Service names.</summary>
internal sealed class PublishedModel(JsonObject resources)
{
    public IEnumerable<(string Name, JsonObject Parameter)> Parameters =>
        resources.Where(r => r.Value!["type"]!.GetValue<string>() == "parameter.v0").Select(r => (r.Key, r.Value!.AsObject()));

    /// <summary>
    /// A secret parameter with neither a value nor a generator as its default (the simple password, the sealing key,
    /// the object store's connection string) is the operator's to supply; nothing is made up for it.
    /// </summary>
    public static bool IsOperatorSupplied(JsonObject parameter)
    {
        var input = parameter["inputs"]?["value"];
        return input?["secret"]?.GetValue<bool>() == true && input["default"]?["value"] is null && input["default"]?["generate"] is null;
    }

    /// <summary>The port a resource's first binding listens on inside its pod.</summary>
    public int TargetPort(string name) =>
        resources[name]!["bindings"]?.AsObject().FirstOrDefault().Value?["targetPort"]?.GetValue<int>() ?? 8080;

    /// <summary>Parameters first (as secret references), so Kubernetes can expand $(NAME) in the values after them.</summary>
    public List<V1EnvVar> Environment(JsonObject resource)
    {
        var variables = resource["env"]?.AsObject().Select(e => (e.Key, Value: e.Value!.GetValue<string>())).ToList() ?? [];
        var parameters = new SortedSet<string>(StringComparer.Ordinal);
        var resolved = variables.Select(v => new V1EnvVar { Name = v.Key, Value = Resolve(v.Value, parameters) }).ToList();
        return [.. parameters.Select(SecretReference), .. resolved];
    }

    /// <summary>Never <c>optional</c>: a pod whose Secret or key is missing does not start, rather than start without it.</summary>
    private V1EnvVar SecretReference(string parameter) => new()
    {
        Name = Variable(parameter),
        ValueFrom = new V1EnvVarSource
        {
            SecretKeyRef = new V1SecretKeySelector
            {
                Name = IsOperatorSupplied(resources[parameter]!.AsObject()) ? KubernetesPublisher.OperatorSecretName : KubernetesPublisher.SecretName,
                Key = parameter,
            },
        },
    };

    public string Resolve(string text) => Resolve(text, new SortedSet<string>(StringComparer.Ordinal));

    private static string Variable(string parameter) => "PARAMETER_" + parameter.ToUpperInvariant().Replace('-', '_');

    private string Resolve(string text, SortedSet<string> parameters) => KubernetesPublisher.Expression().Replace(text, match =>
    {
        var (name, path) = (match.Groups[1].Value, match.Groups[2].Value);
        var resource = resources[name] ?? throw new InvalidOperationException($"Aspire's manifest refers to '{name}', which it does not contain.");
        var type = resource["type"]!.GetValue<string>();
        if (type == "parameter.v0")
        {
            parameters.Add(name);
            return $"$({Variable(name)})";
        }

        if (path is "connectionString" or "value")
        {
            // A value resource (a database's connection string, a URI-encoded password) is its expression, resolved in place.
            return Resolve(resource[path]!.GetValue<string>(), parameters);
        }

        if (path.Split('.') is not ["bindings", var binding, var property])
        {
            throw new InvalidOperationException($"Cannot resolve '{match.Value}' for Kubernetes.");
        }

        var port = type == "project.v0" ? 8080 : resource["bindings"]![binding]!["targetPort"]!.GetValue<int>();
        return property switch
        {
            "host" => name,
            "port" or "targetPort" => port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "url" => $"{resource["bindings"]![binding]!["scheme"]!.GetValue<string>()}://{name}:{port}",
            _ => throw new InvalidOperationException($"Unknown binding property in '{match.Value}'."),
        };
    });
}
