using Platform.Hosting.Infrastructure;
using Platform.Testing;
using Platform.Testing.Servers;

namespace Platform.Hosting.Tests.ObjectStore;

/// <summary>
/// What the AppHost does on a machine without s3rver: npm ci into tools/s3rver from its lock file.
/// Run against a copy of the repository's tools/s3rver, so the checkout's own install is never touched.
/// </summary>
public sealed class S3rverInstallationTests : IDisposable
{
    private static readonly string Repository = Path.GetDirectoryName(Path.GetDirectoryName(AppHostProcess.ExecutablePath))!
        .Split("/AppHost/", StringSplitOptions.None)[0];

    private readonly TestDirectory directory = new("s3rver-install");

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task Npm_ci_installs_s3rver_from_the_lock_file_and_the_installed_server_answers_S3_requests()
    {
        var packageFolder = Path.Combine(directory.Path, "tools", "s3rver");
        Directory.CreateDirectory(packageFolder);
        foreach (var file in new[] { "package.json", "package-lock.json", "fix-xml-namespace.js" })
        {
            File.Copy(Path.Combine(Repository, "tools", "s3rver", file), Path.Combine(packageFolder, file));
        }

        var said = new List<string>();
        await S3rver.InstallAsync(packageFolder, line =>
        {
            lock (said)
            {
                said.Add(line);
            }
        });

        var script = Path.Combine(packageFolder, "node_modules", "s3rver", "bin", "s3rver.js");
        Assert.True(File.Exists(script), "npm ci did not install s3rver: " + string.Join('\n', said));
        var port = FreePort.Pick();
        var arguments = S3rver.Arguments(Path.Combine(directory.Path, "data"), port, "platform");
        await using var server = ChildProcess.Start(new ChildProcessStartInfo(ExecutableSearch.OnPath("node")!, [script, .. arguments]));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var answer = await Eventually.GetAsync(
            async () =>
            {
                try
                {
                    using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/platform"));
                    return await response.Content.ReadAsStringAsync();
                }
                catch (HttpRequestException)
                {
                    return "";
                }
            },
            body => body.Length > 0,
            TimeSpan.FromSeconds(60),
            "the installed s3rver to answer");
        // Whether an unsigned request lists the bucket or is refused, the answer is S3's XML, from the server just installed.
        Assert.StartsWith("<?xml", answer, StringComparison.Ordinal);
    }
}
