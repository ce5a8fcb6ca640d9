using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Publishing;

namespace Platform.Hosting.Parameters;

public static class SecretParameters
{
    /// <summary>
    /// A generated secret of <paramref name="bytes"/> random bytes in base64 (what SecretSealer's key is), kept in the
    /// AppHost's user secrets so every run reuses it; a configured <c>Parameters:&lt;name&gt;</c> wins.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddGeneratedKey(this IDistributedApplicationBuilder builder, string name, int bytes = 32)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddParameter(name, new RandomBytesDefault(bytes), secret: true, persist: true);
    }

    /// <summary>
    /// A password of <paramref name="length"/> letters and digits generated for local runs and kept in the AppHost's
    /// user secrets; a published manifest carries no default, so the operator must supply it (a Kubernetes Secret).
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddOperatorPassword(this IDistributedApplicationBuilder builder, string name, int length = 24)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddParameter(name, new RandomPasswordDefault(length), secret: true, persist: true);
    }

    private sealed class RandomPasswordDefault(int length) : ParameterDefault
    {
        public override string GetDefaultValue() =>
            RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);

        public override void WriteToManifest(ManifestPublishingContext context)
        {
        }
    }

    /// <summary>Published manifests carry no value: the operator supplies the key (aspirate asks for it).</summary>
    private sealed class RandomBytesDefault(int bytes) : ParameterDefault
    {
        public override string GetDefaultValue() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes));

        public override void WriteToManifest(ManifestPublishingContext context)
        {
        }
    }
}
