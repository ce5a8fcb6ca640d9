using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.Secrets;

/// <summary>
/// Where a service's <see cref="SecretSealer"/> key comes from. <c>Secrets:SealingKey</c> when configured (the AppHost
/// passes its generated <c>sealing-key</c> parameter). Without one, Development seals with a key kept in a file
/// (<c>Secrets:SealingKeyFile</c>, default <c>.platform-data/sealing-key</c>, created 0600 on first use and shared by
/// the services run from the same folder), so restarts can still unseal; every other environment refuses to start,
/// because sealing with a key stored beside the data protects nothing.
/// </summary>
public static class SecretSealerExtensions
{
    public const string KeyFileSetting = "Secrets:SealingKeyFile";

    public static IHostApplicationBuilder AddSecretSealer(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var environment = builder.Environment;
        builder.Services.TryAddSingleton(sp => Resolve(configuration, environment, sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SecretSealer).FullName!)));
        return builder;
    }

    public static SecretSealer Resolve(IConfiguration configuration, IHostEnvironment environment, ILogger logger)
    {
        if (SecretSealer.FromConfiguration(configuration) is { } configured)
        {
            return configured;
        }

        if (!environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"{SecretSealer.ConfigurationKey} is not configured, and secrets are never stored unsealed outside Development ({environment.EnvironmentName}). "
                + "Set Secrets__SealingKey to base64 of 32 random bytes (the AppHost's sealing-key parameter; a Kubernetes Secret when published).");
        }

        var path = Path.GetFullPath(configuration[KeyFileSetting] is { Length: > 0 } configuredPath ? configuredPath : Path.Combine(".platform-data", "sealing-key"));
        var key = ReadOrCreate(path);
        logger.LogWarning("{Setting} is not configured: sealing secrets with the development key in {Path}. Configure a key outside Development.", SecretSealer.ConfigurationKey, path);
        return key;
    }

    private static SecretSealer ReadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = $"{path}.{Environment.ProcessId}.{RandomNumberGenerator.GetHexString(8, lowercase: true)}";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(temporary, options))
            {
                writer.Write(SecretSealer.NewKey());
            }

            try
            {
                // Two services starting together: the first file in place wins and both read it.
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
            }
        }

        var text = File.ReadAllText(path).Trim();
        try
        {
            return new SecretSealer(Convert.FromBase64String(text));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidOperationException($"The development sealing key in {path} is not base64 of 32 bytes; delete it to have a new one made (what it sealed is then lost).", e);
        }
    }
}
