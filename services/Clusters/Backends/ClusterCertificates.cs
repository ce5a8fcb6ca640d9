using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Clusters.Backends;

/// <summary>
/// Each cluster's own self-signed certificate, as dask-gateway makes them: the scheduler, its workers and the
/// user's client all present it and trust only it. The SAN carries <c>daskgateway-&lt;name&gt;</c>, the SNI the
/// Proxy routes on, and <c>dask-internal</c>.
/// </summary>
public static class ClusterCertificates
{
    public static (string CertificatePem, string PrivateKeyPem) Create(string clusterName, TimeProvider time)
    {
        // P-256 instead of dask-gateway's RSA-2048: equally accepted by Python's ssl, and generated in microseconds.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName("CN=dask-internal");
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(SniName(clusterName));
        names.AddDnsName("dask-internal");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        // A trust anchor for itself: strict verifiers want a CA flag on the certificate they are told to trust.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public static string SniName(string clusterName) => $"daskgateway-{clusterName}";
}
