using System.Security.Authentication;

namespace AntennaIngest.Core.Health;

/// <summary>
/// Finds, in what a client library threw, the TLS handshake failing because this process refused
/// the server's certificate (an unknown CA, a host name the certificate does not name). Unlike a
/// server that is down, that does not heal by waiting: it is a setting to fix.
/// </summary>
public static class CertificateRefusal
{
    /// <summary>The handshake's own message, or null when the failure is something else.</summary>
    public static string? Find(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 16; depth++)
        {
            if (exception is AuthenticationException authentication)
            {
                return authentication.Message;
            }

            if (exception is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (Find(inner) is { } found)
                    {
                        return found;
                    }
                }
            }

            exception = exception.InnerException;
        }

        return null;
    }
}
