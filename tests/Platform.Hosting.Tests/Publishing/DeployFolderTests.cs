using k8s;
using k8s.Models;
using Platform.Hosting.Publishing;
using Platform.Testing;
using Platform.Testing.Servers;

namespace Platform.Hosting.Tests.Publishing;

/// <summary>
/// deploy/ is what the AppHost publishes: Aspire's manifest, and the kustomize base and Pi overlay written from it.
/// Published again here (into a folder beside deploy/, so the manifest's relative paths match) and compared.
/// </summary>
public sealed class DeployFolderTests : IDisposable
{
    private static readonly string Repository = Path.GetDirectoryName(Path.GetDirectoryName(AppHostProcess.ExecutablePath))!
        .Split("/AppHost/", StringSplitOptions.None)[0];

    private readonly string output = Path.Combine(Repository, $".publish-check-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task The_committed_deploy_folder_is_what_the_AppHost_publishes_now()
    {
        await PublishAsync();

        var deploy = Path.Combine(Repository, "deploy");
        var published = Tracked(output);
        Assert.Equal(published, Tracked(deploy));
        foreach (var file in published)
        {
            Assert.True(
                File.ReadAllText(Path.Combine(output, file)) == File.ReadAllText(Path.Combine(deploy, file)),
                $"deploy/{file} is stale: run `dotnet run --project AppHost -- --publisher manifest --output-path ../deploy/aspire-manifest.json` and commit the result.");
        }
    }

    [Fact]
    public async Task The_Pi_overlay_builds_with_kustomize_and_puts_every_workload_on_arm64()
    {
        await PublishAsync();

        var pi = await RunAsync("kubectl", ["kustomize", Path.Combine(output, "overlays", "pi")]);

        var workloads = Count(pi, "kind: Deployment") + Count(pi, "kind: StatefulSet");
        Assert.Equal(7, workloads); // five services; postgres and messaging (the object store is a configured S3 endpoint)
        Assert.Equal(workloads, Count(pi, "kubernetes.io/arch: arm64"));
        Assert.Contains("image: registry.pi.local:5000/platform/proxy:latest", pi, StringComparison.Ordinal);
        Assert.Contains("type: LoadBalancer", pi, StringComparison.Ordinal);
        Assert.Contains("key: sealing-key", pi, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generated_secrets_live_only_in_the_git_ignored_secrets_file_and_survive_republishing()
    {
        await PublishAsync();
        var secrets = File.ReadAllText(Path.Combine(output, "base", "secrets.env"));

        await PublishAsync();

        Assert.Equal(secrets, File.ReadAllText(Path.Combine(output, "base", "secrets.env")));
        var proxyToken = secrets.Split('\n').Single(l => l.StartsWith("proxy-token=", StringComparison.Ordinal))["proxy-token=".Length..];
        Assert.Equal(64, proxyToken.Length);
        foreach (var manifest in Directory.EnumerateFiles(Path.Combine(output, "base"), "*.yaml"))
        {
            Assert.DoesNotContain(proxyToken, File.ReadAllText(manifest), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_simple_password_and_the_sealing_key_come_from_a_Secret_the_operator_creates_and_nothing_is_made_up_for_them()
    {
        await PublishAsync();

        // Never generated into secrets.env: a deployment must not run on values nobody chose or knows.
        var secrets = File.ReadAllText(Path.Combine(output, "base", "secrets.env"));
        foreach (var operatorSecret in new[] { "simple-password", "sealing-key", "objects" })
        {
            Assert.DoesNotContain($"{operatorSecret}=", secrets, StringComparison.Ordinal);
        }

        // Auth references both without `optional`, so its pod does not start until the operator has created them.
        var auth = ServiceContainer("auth");
        foreach (var key in new[] { "simple-password", "sealing-key" })
        {
            Assert.Contains(auth.Env, e => e.ValueFrom?.SecretKeyRef is { Name: KubernetesPublisher.OperatorSecretName, Optional: null } reference && reference.Key == key);
        }

        Assert.DoesNotContain("optional", File.ReadAllText(Path.Combine(output, "base", "auth.yaml")), StringComparison.Ordinal);
        var pi = await RunAsync("kubectl", ["kustomize", Path.Combine(output, "overlays", "pi")]);
        var secretDocuments = pi.Split("\n---\n").Where(d => d.Contains("kind: Secret", StringComparison.Ordinal));
        Assert.DoesNotContain(secretDocuments, d => d.Contains(KubernetesPublisher.OperatorSecretName, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("auth")]
    [InlineData("plugins")]
    public async Task Services_that_load_plugin_packages_get_the_object_store_connection_string_from_the_operator_Secret(string service)
    {
        await PublishAsync();

        // Auth loads plugin authenticators from the packages Plugins stores; without the reference it never sees them.
        var container = ServiceContainer(service);
        Assert.Contains(container.Env, e => e is { Name: "ConnectionStrings__objects", Value: "$(PARAMETER_OBJECTS)" });
        Assert.Contains(container.Env, e => e.Name == "PARAMETER_OBJECTS"
            && e.ValueFrom?.SecretKeyRef is { Name: KubernetesPublisher.OperatorSecretName, Key: "objects", Optional: null });
    }

    /// <summary>The one container of a service's Deployment in the published base.</summary>
    private V1Container ServiceContainer(string service) =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(output, "base", $"{service}.yaml")))
            .OfType<V1Deployment>().Single().Spec.Template.Spec.Containers.Single();

    private async Task PublishAsync() =>
        await RunAsync(AppHostProcess.ExecutablePath, ["--publisher", "manifest", "--output-path", Path.Combine(output, "aspire-manifest.json")]);

    /// <summary>Files under version control in deploy/ (secrets.env is git-ignored and generated per clone).</summary>
    private static List<string> Tracked(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Where(f => Path.GetFileName(f) != "secrets.env").Order(StringComparer.Ordinal)];

    private static int Count(string text, string line) => text.Split('\n').Count(l => l.Trim() == line);

    private static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var output = new System.Text.StringBuilder();
        await using var process = ChildProcess.Start(new ChildProcessStartInfo(program, arguments)
        {
            WorkingDirectory = Path.GetDirectoryName(AppHostProcess.ExecutablePath),
            Environment = new Dictionary<string, string?> { ["DOTNET_ENVIRONMENT"] = "Production" },
            Output = line =>
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            },
        });
        var exitCode = await process.Exited.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(exitCode == 0, $"{program} {string.Join(' ', arguments)} exited with {exitCode}:\n{output}");
        return output.ToString();
    }
}
