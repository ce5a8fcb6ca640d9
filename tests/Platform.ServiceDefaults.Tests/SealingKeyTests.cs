using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.ServiceDefaults.Secrets;
using Platform.Testing;

namespace Platform.ServiceDefaults.Tests;

/// <summary>Where the sealing key comes from when none is configured: a kept file in Development, nowhere elsewhere.</summary>
public sealed class SealingKeyTests
{
    [Fact]
    public void Outside_development_a_missing_sealing_key_stops_start_up()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SecretSealerExtensions.Resolve(Configuration(), new Environment("Production"), NullLogger.Instance));

        Assert.Contains("Secrets__SealingKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void In_development_a_key_file_is_made_private_once_and_reused()
    {
        using var folder = new TestDirectory("sealing");
        var path = Path.Combine(folder.Path, "keys", "sealing-key");
        var configuration = Configuration(new() { [SecretSealerExtensions.KeyFileSetting] = path });

        var first = SecretSealerExtensions.Resolve(configuration, new Environment("Development"), NullLogger.Instance);
        var second = SecretSealerExtensions.Resolve(configuration, new Environment("Development"), NullLogger.Instance);

        Assert.Equal("secret", second.Unseal(first.Seal("secret", "test"), "test"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void A_configured_key_wins_in_every_environment()
    {
        var key = SecretSealer.NewKey();

        var sealer = SecretSealerExtensions.Resolve(Configuration(new() { [SecretSealer.ConfigurationKey] = key }), new Environment("Production"), NullLogger.Instance);

        Assert.Equal("x", new SecretSealer(Convert.FromBase64String(key)).Unseal(sealer.Seal("x", "p"), "p"));
    }

    private static IConfiguration Configuration(Dictionary<string, string?>? values = null) =>
        new ConfigurationBuilder().AddInMemoryCollection(values ?? []).Build();

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "Platform.TestService";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
