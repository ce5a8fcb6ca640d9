using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Platform.Hosting.Publishing;

/// <summary>
/// Writes the application as a kustomize base (one file per resource, a namespace, and a secret generated
/// from a git-ignored secrets.env) plus an overlay for a Raspberry Pi cluster (arm64 nodes, small requests,
/// images from the cluster's registry).
/// </summary>
internal static class ManifestPublisher
{
    public const string Namespace = "platform";
    public const string PiRegistry = "registry.pi.local:5000";

    public static IReadOnlyList<string> Publish(IReadOnlyList<Resource> resources, string output)
    {
        var written = new List<string>();
        var baseDirectory = Path.Combine(output, "base");
        var piDirectory = Path.Combine(output, "overlays", "pi");
        Directory.CreateDirectory(baseDirectory);
        Directory.CreateDirectory(piDirectory);

        var files = new List<string> { "namespace.yaml" };
        Write(baseDirectory, "namespace.yaml", YamlWriter.Write(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = Namespace },
        }), written);
        foreach (var resource in resources)
        {
            var manifests = KubernetesManifests.For(resource);
            if (manifests.Count == 0)
                continue;
            files.Add($"{resource.Name}.yaml");
            Write(baseDirectory, $"{resource.Name}.yaml", YamlWriter.WriteDocuments(manifests), written);
        }
        WriteSecrets(baseDirectory, KubernetesManifests.SecretKeys(resources), KubernetesManifests.SharedSecretKeys(resources).ToHashSet(StringComparer.Ordinal), written);
        Write(baseDirectory, "kustomization.yaml", YamlWriter.Write(new JsonObject
        {
            ["apiVersion"] = "kustomize.config.k8s.io/v1beta1",
            ["kind"] = "Kustomization",
            ["namespace"] = Namespace,
            ["resources"] = new JsonArray([.. files.Select(f => (JsonNode)f)]),
            ["secretGenerator"] = new JsonArray(new JsonObject
            {
                ["name"] = KubernetesManifests.SecretName,
                ["envs"] = new JsonArray("secrets.env"),
            }),
        }), written);
        Write(piDirectory, "kustomization.yaml", YamlWriter.Write(PiOverlay(resources.OfType<ProjectResource>())), written);
        return written;
    }

    private static JsonObject PiOverlay(IEnumerable<ProjectResource> projects) => new()
    {
        ["apiVersion"] = "kustomize.config.k8s.io/v1beta1",
        ["kind"] = "Kustomization",
        ["resources"] = new JsonArray("../../base"),
        ["images"] = new JsonArray([.. projects.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = KubernetesManifests.ProjectImage(p),
            ["newName"] = $"{PiRegistry}/{KubernetesManifests.ProjectImage(p)}",
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

    /// <summary>Keeps existing values (re-publishing must not change live passwords) and adds missing ones.</summary>
    private static void WriteSecrets(string directory, IEnumerable<string> keys, HashSet<string> hexKeys, List<string> written)
    {
        var path = Path.Combine(directory, "secrets.env");
        var existing = File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal)).ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..])
            : [];
        foreach (var key in keys.Where(k => !existing.ContainsKey(k)))
        {
            existing[key] = hexKeys.Contains(key)
                ? SecretParameter.Generate()
                : RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);
        }
        Write(directory, "secrets.env", string.Concat(existing.Select(e => $"{e.Key}={e.Value}\n")), written);
        Infrastructure.UnixFile.SetMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Write(directory, ".gitignore", "secrets.env\n", written);
    }

    private static void Write(string directory, string name, string content, List<string> written)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, content);
        written.Add(path);
    }
}
