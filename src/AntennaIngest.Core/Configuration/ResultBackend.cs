namespace AntennaIngest.Core.Configuration;

/// <summary>
/// Antenna's choice of Celery result backend (config/settings/base.py): CELERY_RESULT_BACKEND
/// when set, else REDIS_URL with its database replaced by 1, else rpc://. REDIS_URL always has a
/// value here (the binary needs Redis), so the rpc:// case needs CELERY_RESULT_BACKEND=rpc://.
/// </summary>
public static class ResultBackend
{
    private const string Variable = "CELERY_RESULT_BACKEND";

    public static CeleryResultSettings Read(string? backendUrl, string redisUrl, int expiresSeconds)
    {
        var expires = TimeSpan.FromSeconds(expiresSeconds);
        if (backendUrl is null)
        {
            var (configuration, redacted, database, caFile) = ConnectionUrls.ParseRedisUrl(WithDatabaseOne(redisUrl));
            return new CeleryResultSettings(ResultBackendKind.Redis, new RedisSettings(configuration, redacted, database, CaFile: caFile), expires);
        }

        if (backendUrl.StartsWith("rpc://", StringComparison.OrdinalIgnoreCase))
        {
            return new CeleryResultSettings(ResultBackendKind.Rpc, null, expires);
        }

        if (backendUrl.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || backendUrl.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            // Celery's redis backend options (?ssl_cert_reqs=...) are not connection settings here; ssl_ca_certs is.
            var (configuration, redacted, database, caFile) = ConnectionUrls.ParseRedisUrl(backendUrl, Variable);
            return new CeleryResultSettings(ResultBackendKind.Redis, new RedisSettings(configuration, redacted, database, CaFile: caFile), expires);
        }

        throw new SettingsException(Variable, "antenna-ingest stores results in redis://, rediss:// or rpc:// backends only");
    }

    // _celery_result_backend_url: the last path segment becomes "1" when it is a number, else "1" is appended.
    public static string WithDatabaseOne(string redisUrl)
    {
        if (!Uri.TryCreate(redisUrl, UriKind.Absolute, out var uri))
        {
            return redisUrl; // ParseRedisUrl names the problem
        }

        var parts = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (parts.Count > 0 && parts[^1].All(char.IsAsciiDigit))
        {
            parts[^1] = "1";
        }
        else
        {
            parts.Add("1");
        }

        return uri.GetLeftPart(UriPartial.Authority) + "/" + string.Join('/', parts) + uri.Query;
    }
}
