using System.Security.Cryptography.X509Certificates;
using Platform.Clusters.Backends;

namespace Platform.Clusters.Tests.Backends;

public sealed class ClusterCertificatesTests
{
    [Fact]
    public void Each_cluster_gets_a_self_signed_certificate_for_its_sni_name()
    {
        var (certificatePem, keyPem) = ClusterCertificates.Create("0123abcd", TimeProvider.System);
        using var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(certificate.Subject, certificate.Issuer);
        Assert.Equal("CN=dask-internal", certificate.Subject);
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();
        Assert.Equal(["daskgateway-0123abcd", "dask-internal"], names);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", keyPem, StringComparison.Ordinal);
        Assert.True(certificate.NotAfter > DateTime.UtcNow.AddDays(300));
    }

    [Fact]
    public void Two_clusters_never_share_a_key()
    {
        var first = ClusterCertificates.Create("a", TimeProvider.System);
        var second = ClusterCertificates.Create("a", TimeProvider.System);
        Assert.NotEqual(first.PrivateKeyPem, second.PrivateKeyPem);
    }
}
