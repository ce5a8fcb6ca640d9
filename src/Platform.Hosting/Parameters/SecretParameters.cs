using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Publishing;
using Platform.Hosting.Infrastructure;

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
        return builder.AddParameter(name, new LocalOnlyDefault(() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes))), secret: true, persist: true);
    }

    /// <summary>
    /// A password of <paramref name="length"/> letters and digits generated for local runs and kept in the AppHost's
    /// user secrets; a published manifest carries no default, so the operator must supply it (a Kubernetes Secret).
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddOperatorPassword(this IDistributedApplicationBuilder builder, string name, int length = 24)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddParameter(name, new LocalOnlyDefault(() => GeneratedSecret.NewPassword(length)), secret: true, persist: true);
    }

    /// <summary>Generated for local runs; published manifests carry no value, so the operator supplies it (aspirate asks for it).</summary>
    private sealed class LocalOnlyDefault(Func<string> generate) : ParameterDefault
    {
        public override string GetDefaultValue() => generate();

        public override void WriteToManifest(ManifestPublishingContext context)
        {
        }
    }
}
