using Platform.Hosting.Infrastructure;
using Platform.Testing;

namespace Platform.Hosting.Tests.Publishing;

/// <summary>`dotnet Platform.AppHost.dll publish --output ...`, checked with kubectl's built-in kustomize (works offline).</summary>
public sealed class ManifestPublishingTests : IDisposable
{
    private readonly TestDirectory _directory = new("publish");

    [Fact]
    public async Task Published_manifests_build_with_kustomize_and_put_every_workload_on_arm64_in_the_pi_overlay()
    {
        await PublishAsync();

        var pi = await KustomizeAsync(Path.Combine(_directory.Path, "overlays", "pi"));

        var workloads = CountLines(pi, "kind: Deployment") + CountLines(pi, "kind: StatefulSet");
        Assert.Equal(8, workloads); // five services; postgres, messaging, objects
        Assert.Equal(workloads, CountLines(pi, "kubernetes.io/arch: arm64"));
        Assert.Contains("image: registry.pi.local:5000/platform/proxy:latest", pi, StringComparison.Ordinal);
        Assert.Contains("type: LoadBalancer", pi, StringComparison.Ordinal);
        Assert.Contains("value: amqp://platform:$(MESSAGING_PASSWORD)@messaging:5672/", pi, StringComparison.Ordinal);
        Assert.Contains("value: http://auth:8080", pi, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Passwords_live_only_in_the_git_ignored_secrets_file_and_survive_republishing()
    {
        await PublishAsync();
        var baseDirectory = Path.Combine(_directory.Path, "base");
        var secrets = File.ReadAllText(Path.Combine(baseDirectory, "secrets.env"));

        await PublishAsync();

        Assert.Equal(secrets, File.ReadAllText(Path.Combine(baseDirectory, "secrets.env")));
        Assert.Equal("secrets.env\n", File.ReadAllText(Path.Combine(baseDirectory, ".gitignore")));
        var passwords = secrets.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]).ToList();
        Assert.Equal(4, passwords.Count); // postgres, messaging, objects passwords and the shared proxy token
        foreach (var manifest in Directory.EnumerateFiles(baseDirectory, "*.yaml"))
            Assert.All(passwords, p => Assert.DoesNotContain(p, File.ReadAllText(manifest), StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_proxy_token_is_32_random_bytes_in_hex_given_to_proxy_auth_and_clusters_by_secret_reference()
    {
        await PublishAsync();
        var baseDirectory = Path.Combine(_directory.Path, "base");
        var token = File.ReadAllLines(Path.Combine(baseDirectory, "secrets.env")).Single(l => l.StartsWith("proxy-token=", StringComparison.Ordinal))["proxy-token=".Length..];

        Assert.Matches("^[0-9a-f]{64}$", token);
        foreach (var service in new[] { "proxy", "auth", "clusters" })
        {
            var manifest = File.ReadAllText(Path.Combine(baseDirectory, $"{service}.yaml"));
            Assert.Matches("name: \"?Proxy__Token\"?\\s+valueFrom:\\s+secretKeyRef:\\s+name: \"?platform-secrets\"?\\s+key: \"?proxy-token\"?", manifest);
        }

        Assert.DoesNotContain("Proxy__Token", File.ReadAllText(Path.Combine(baseDirectory, "webhooks.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Local_only_settings_such_as_the_clusters_data_folder_are_not_published()
    {
        await PublishAsync();

        var clusters = File.ReadAllText(Path.Combine(_directory.Path, "base", "clusters.yaml"));

        Assert.DoesNotContain("Clusters__DataDirectory", clusters, StringComparison.Ordinal);
        Assert.DoesNotContain("Clusters__StopClustersOnShutdown", clusters, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private async Task PublishAsync()
    {
        Assert.True(File.Exists(AppHostProcess.AssemblyPath), $"Build the AppHost first: {AppHostProcess.AssemblyPath} is missing.");
        await using var publish = ChildProcess.Start(new ChildProcessStartInfo(ExecutableSearch.OnPath("dotnet") ?? "dotnet",
            [AppHostProcess.AssemblyPath, "publish", "--output", _directory.Path]));
        Assert.True(await publish.WaitForExitAsync(TimeSpan.FromSeconds(60)), "publish did not finish");
        Assert.True(publish.Exited.Result == 0, string.Join('\n', publish.Tail.Lines));
    }

    private static async Task<string> KustomizeAsync(string directory)
    {
        var kubectl = ExecutableSearch.OnPath("kubectl");
        Assert.True(kubectl is not null, "kubectl is needed to check the manifests (kubectl kustomize works offline).");
        var output = new System.Text.StringBuilder();
        await using var kustomize = ChildProcess.Start(new ChildProcessStartInfo(kubectl, ["kustomize", directory])
        {
            Output = line =>
            {
                lock (output)
                    output.AppendLine(line);
            },
        });
        Assert.True(await kustomize.WaitForExitAsync(TimeSpan.FromSeconds(60)), "kubectl kustomize did not finish");
        Assert.True(kustomize.Exited.Result == 0, output.ToString());
        lock (output)
            return output.ToString();
    }

    private static int CountLines(string text, string line) =>
        text.Split('\n').Count(l => l.Trim() == line);
}
