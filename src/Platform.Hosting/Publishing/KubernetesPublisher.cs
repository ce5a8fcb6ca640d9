using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
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
        File.WriteAllText(Path.Combine(baseDirectory, "namespace.yaml"), YamlWriter.Write(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = Namespace },
        }));
        foreach (var (name, resource) in resources)
        {
            var documents = resource!["type"]!.GetValue<string>() switch
            {
                "container.v0" => Container(model, name, resource.AsObject()),
                "project.v0" => Project(model, name, resource.AsObject()),
                _ => [], // parameters and values are resolved where they are used
            };
            if (documents.Count > 0)
            {
                files.Add($"{name}.yaml");
                File.WriteAllText(Path.Combine(baseDirectory, $"{name}.yaml"), YamlWriter.WriteDocuments(documents));
            }
        }

        WriteSecrets(baseDirectory, model);
        File.WriteAllText(Path.Combine(baseDirectory, "kustomization.yaml"), YamlWriter.Write(new JsonObject
        {
            ["apiVersion"] = "kustomize.config.k8s.io/v1beta1",
            ["kind"] = "Kustomization",
            ["namespace"] = Namespace,
            ["resources"] = new JsonArray([.. files.Select(f => (JsonNode)f)]),
            ["secretGenerator"] = new JsonArray(new JsonObject { ["name"] = SecretName, ["envs"] = new JsonArray("secrets.env") }),
        }));
        var pi = Path.Combine(output, "overlays", "pi");
        Directory.CreateDirectory(pi);
        File.WriteAllText(Path.Combine(pi, "kustomization.yaml"), YamlWriter.Write(PiOverlay(resources.Where(r => r.Value!["type"]!.GetValue<string>() == "project.v0").Select(r => r.Key))));
    }

    private static List<JsonNode> Container(PublishedModel model, string name, JsonObject resource)
    {
        var (port, _) = model.Binding(name);
        var container = new JsonObject
        {
            ["name"] = name,
            ["image"] = resource["image"]!.GetValue<string>(),
            ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = port }),
            ["env"] = model.Environment(resource),
        };
        if (resource["args"] is JsonArray args)
        {
            container["args"] = new JsonArray([.. args.Select(a => (JsonNode)model.Resolve(a!.GetValue<string>()))]);
        }

        var volumes = resource["volumes"]?.AsArray() ?? [];
        container["volumeMounts"] = new JsonArray([.. volumes.Select((v, i) => (JsonNode)new JsonObject { ["name"] = $"data{i}", ["mountPath"] = v!["target"]!.GetValue<string>() })]);
        container["readinessProbe"] = new JsonObject { ["tcpSocket"] = new JsonObject { ["port"] = port }, ["periodSeconds"] = 5 };
        var statefulSet = Workload("StatefulSet", name, container);
        statefulSet["spec"]!["serviceName"] = name;
        statefulSet["spec"]!["volumeClaimTemplates"] = new JsonArray([.. volumes.Select((_, i) => (JsonNode)new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = $"data{i}" },
            ["spec"] = new JsonObject
            {
                ["accessModes"] = new JsonArray("ReadWriteOnce"),
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "2Gi" } },
            },
        })]);
        return [statefulSet, Service(name, port, port, external: false)];
    }

    private static List<JsonNode> Project(PublishedModel model, string name, JsonObject resource)
    {
        var environment = model.Environment(resource);
        environment.Add(Env("ASPNETCORE_URLS", $"http://+:{ProjectPort}"));
        var container = new JsonObject
        {
            ["name"] = name,
            ["image"] = $"platform/{name}",
            ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = ProjectPort }),
            ["env"] = environment,
            ["readinessProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/health", ["port"] = ProjectPort }, ["periodSeconds"] = 10 },
            ["livenessProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/alive", ["port"] = ProjectPort }, ["periodSeconds"] = 20, ["initialDelaySeconds"] = 20 },
        };
        var external = resource["bindings"]?.AsObject().Any(b => b.Value!["external"]?.GetValue<bool>() == true) == true;
        return [Workload("Deployment", name, container), Service(name, external ? 80 : ProjectPort, ProjectPort, external)];
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
                    ?? RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 64);
        }

        File.WriteAllText(path, string.Concat(values.Select(e => $"{e.Key}={e.Value}\n")));
        Infrastructure.UnixFile.SetMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(directory, ".gitignore"), "secrets.env\n");
    }

    private static JsonObject PiOverlay(IEnumerable<string> projects) => new()
    {
        ["apiVersion"] = "kustomize.config.k8s.io/v1beta1",
        ["kind"] = "Kustomization",
        ["resources"] = new JsonArray("../../base"),
        ["images"] = new JsonArray([.. projects.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = $"platform/{p}",
            ["newName"] = $"{PiRegistry}/platform/{p}",
            ["newTag"] = "latest",
        })]),
        ["patches"] = new JsonArray(
            OnArm64("Deployment"),
            OnArm64("StatefulSet"),
            new JsonObject
            {
                ["target"] = new JsonObject { ["kind"] = "Deployment" },
                // A Pi has 4-8 GB for everything: ask for little, cap each service, and use the workstation GC.
                ["patch"] = """
                    - op: add
                      path: /spec/template/spec/containers/0/resources
                      value: {requests: {cpu: 50m, memory: 96Mi}, limits: {memory: 256Mi}}
                    - op: add
                      path: /spec/template/spec/containers/0/env/-
                      value: {name: DOTNET_gcServer, value: "0"}
                    """,
            }),
    };

    private static JsonObject OnArm64(string kind) => new()
    {
        ["target"] = new JsonObject { ["kind"] = kind },
        ["patch"] = """
            - op: add
              path: /spec/template/spec/nodeSelector
              value: {kubernetes.io/arch: arm64}
            """,
    };

    private static JsonObject Workload(string kind, string name, JsonObject container) => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = kind,
        ["metadata"] = Metadata(name),
        ["spec"] = new JsonObject
        {
            ["replicas"] = 1,
            ["selector"] = new JsonObject { ["matchLabels"] = Labels(name) },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = Labels(name) },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(container) },
            },
        },
    };

    private static JsonObject Service(string name, int port, int targetPort, bool external) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = Metadata(name),
        ["spec"] = new JsonObject
        {
            ["type"] = external ? "LoadBalancer" : "ClusterIP",
            ["selector"] = Labels(name),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "main", ["port"] = port, ["targetPort"] = targetPort }),
        },
    };

    private static JsonObject Metadata(string name) => new() { ["name"] = name, ["labels"] = Labels(name) };

    private static JsonObject Labels(string app) => new() { ["app.kubernetes.io/name"] = app, ["app.kubernetes.io/part-of"] = "platform" };

    internal static JsonObject Env(string name, string value) => new() { ["name"] = name, ["value"] = value };

    /// <summary>Never <c>optional</c>: a pod whose Secret or key is missing does not start, rather than start without it.</summary>
    internal static JsonObject SecretEnv(string name, string secret, string key) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["name"] = secret, ["key"] = key } },
    };

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
    public (int Port, string Scheme) Binding(string name)
    {
        var resource = resources[name]!;
        var binding = resource["bindings"]?.AsObject().FirstOrDefault().Value;
        var port = binding?["targetPort"]?.GetValue<int>() ?? 8080;
        return (port, binding?["scheme"]?.GetValue<string>() ?? "http");
    }

    /// <summary>Parameters first (as secret references), so Kubernetes can expand $(NAME) in the values after them.</summary>
    public JsonArray Environment(JsonObject resource)
    {
        var variables = resource["env"]?.AsObject().Select(e => (e.Key, Value: e.Value!.GetValue<string>())).ToList() ?? [];
        var parameters = new SortedSet<string>(StringComparer.Ordinal);
        var resolved = variables.Select(v => (v.Key, Value: Resolve(v.Value, parameters))).ToList();
        var environment = new JsonArray([.. parameters.Select(p => (JsonNode)KubernetesPublisher.SecretEnv(
            Variable(p), IsOperatorSupplied(resources[p]!.AsObject()) ? KubernetesPublisher.OperatorSecretName : KubernetesPublisher.SecretName, p))]);
        foreach (var (key, value) in resolved)
        {
            environment.Add(KubernetesPublisher.Env(key, value));
        }

        return environment;
    }

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

        var parts = path.Split('.');
        if (parts is not ["bindings", _, _])
        {
            throw new InvalidOperationException($"Cannot resolve '{match.Value}' for Kubernetes.");
        }

        var port = type == "project.v0" ? 8080 : resource["bindings"]![parts[1]]!["targetPort"]!.GetValue<int>();
        return parts is [_, _, var property] ? property switch
        {
            "host" => name,
            "port" or "targetPort" => port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "url" => $"{resource["bindings"]![parts[1]]!["scheme"]!.GetValue<string>()}://{name}:{port}",
            _ => throw new InvalidOperationException($"Unknown binding property in '{match.Value}'."),
        } : throw new InvalidOperationException($"Cannot resolve '{match.Value}' for Kubernetes.");
    });
}
