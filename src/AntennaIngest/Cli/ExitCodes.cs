namespace AntennaIngest.Cli;

internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A dependency check failed, or work could not be completed.</summary>
    public const int Failed = 1;

    /// <summary>A setting is invalid: start-up stopped before touching anything.</summary>
    public const int BadSettings = 2;

    /// <summary>A server's TLS certificate was refused (unknown CA, wrong host name): a setting to fix, not an outage to wait out.</summary>
    public const int CertificateRefused = 3;
}
