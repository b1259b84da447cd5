namespace AntennaIngest.Core.Health;

/// <summary>One line of `antenna-ingest check`: a dependency and what is wrong with it, if anything.</summary>
/// <param name="RefusedCertificate">
/// Set when the failure is this process refusing the server's TLS certificate (see
/// <see cref="CertificateRefusal"/>): the handshake's reason.
/// </param>
public sealed record DependencyStatus(string Name, bool Ok, string Detail, string? RefusedCertificate = null)
{
    /// <summary>A failed check; a refused certificate is named as such, with where trust comes from.</summary>
    public static DependencyStatus Failed(string name, string detail, Exception exception, string trustedFrom)
    {
        var refusal = CertificateRefusal.Find(exception);
        return refusal is null
            ? new DependencyStatus(name, false, detail)
            : new DependencyStatus(name, false, $"{detail} — the server's TLS certificate was refused ({refusal}); trusted CAs come from {trustedFrom}, and the certificate must name the host in the URL", refusal);
    }
}
