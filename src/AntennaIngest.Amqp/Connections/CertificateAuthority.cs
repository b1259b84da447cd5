using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace AntennaIngest.Amqp.Connections;

/// <summary>
/// Certificate validation against one CA file instead of the system's store (RabbitMQ's
/// cacertfile): the chain must end at that CA, and the certificate must still name the host.
/// </summary>
internal static class CertificateAuthority
{
    public static RemoteCertificateValidationCallback Validator(string caFile)
    {
        var authority = X509CertificateLoader.LoadCertificateFromFile(caFile);
        return (_, certificate, chain, errors) =>
        {
            // A name mismatch or no certificate at all is refused whoever issued it.
            if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None || certificate is null)
            {
                return false;
            }

            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.Add(authority);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
            {
                custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
            }

            using var server = new X509Certificate2(certificate);
            return custom.Build(server);
        };
    }
}
