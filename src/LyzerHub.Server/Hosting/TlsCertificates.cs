using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LyzerHub.Server.Hosting;

/// <summary>The server certificate: the configured PEM pair, or a self-signed one generated once and reused.</summary>
public sealed record HubCertificate(X509Certificate2 Certificate, string CertificatePath, bool Generated)
{
    public string Sha256Fingerprint => Convert.ToHexString(Certificate.GetCertHash(HashAlgorithmName.SHA256));
}

public static class TlsCertificates
{
    public const string CertificateFileName = "hub.crt";
    public const string KeyFileName = "hub.key";

    public static HubCertificate LoadOrCreate(HubOptions options, TimeProvider time)
    {
        if (options.Tls.CertificatePath is { } certPath)
        {
            var configured = X509Certificate2.CreateFromPemFile(certPath, options.Tls.KeyPath);
            return new HubCertificate(Usable(configured), Path.GetFullPath(certPath), Generated: false);
        }

        var dir = Path.Combine(options.DataDirFullPath, "tls");
        var crt = Path.Combine(dir, CertificateFileName);
        var key = Path.Combine(dir, KeyFileName);
        if (File.Exists(crt) && File.Exists(key))
        {
            var existing = X509Certificate2.CreateFromPemFile(crt, key);
            if (existing.NotAfter > time.GetUtcNow().UtcDateTime.AddDays(7))
                return new HubCertificate(Usable(existing), crt, Generated: false);
        }

        Directory.CreateDirectory(dir);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost, O=Lyzer Hub", ecdsa, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = time.GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(2));

        // The private key file is created 0600 before a byte of the key is written into it.
        WriteSecretFile(key, ecdsa.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(crt, created.ExportCertificatePem());
        return new HubCertificate(Usable(X509Certificate2.CreateFromPemFile(crt, key)), crt, Generated: true);
    }

    /// <summary>Writes a file that exists to hold a secret: created with mode 0600, replaced atomically.</summary>
    public static void WriteSecretFile(string path, string content)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        File.Delete(temp);
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        File.Move(temp, path, overwrite: true);
    }

    // Kestrel on Linux can use an ephemeral key from PEM directly; re-importing as PKCS#12 keeps it portable.
    private static X509Certificate2 Usable(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }
}
