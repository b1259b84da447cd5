using System.Globalization;
using System.Text;

namespace AntennaIngest.Core.Configuration;

/// <summary>
/// Turns the URLs Antenna's environment carries into what the clients take, and into a
/// redacted form for logs. Pure string work: no client library is referenced here.
/// </summary>
public static class ConnectionUrls
{
    private static readonly Dictionary<string, string> s_postgresQueryKeywords = new(StringComparer.Ordinal)
    {
        ["sslmode"] = "SSL Mode",
        ["sslrootcert"] = "Root Certificate",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
    };

    /// <summary>
    /// DATABASE_URL as dj-database-url reads it (postgres://, postgresql://, pgsql://), or an
    /// Npgsql keyword string. Returns the keyword form and a redacted description.
    /// </summary>
    public static (string ConnectionString, string Redacted) ParseDatabaseUrl(string value)
    {
        const string Variable = "DATABASE_URL";
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new SettingsException(Variable, "is empty");
        }

        if (!value.Contains("://", StringComparison.Ordinal))
        {
            if (!value.Contains('=', StringComparison.Ordinal))
            {
                throw new SettingsException(Variable, "is neither a postgres:// URL nor a 'Host=...;Database=...' keyword string");
            }

            return (value, RedactKeywordPassword(value));
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            throw new SettingsException(Variable, "is not a valid URL");
        }

        if (uri.Scheme is not ("postgres" or "postgresql" or "pgsql" or "postgis"))
        {
            throw new SettingsException(Variable, $"scheme '{uri.Scheme}' is not postgres:// or postgresql://");
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw new SettingsException(Variable, "has no host");
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0)
        {
            throw new SettingsException(Variable, "has no database name (postgres://user:pass@host:port/dbname)");
        }

        var (user, password) = SplitUserInfo(uri);
        var builder = new StringBuilder();
        Append(builder, "Host", uri.Host);
        Append(builder, "Port", (uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port).ToString(CultureInfo.InvariantCulture));
        Append(builder, "Database", database);
        if (user is not null)
        {
            Append(builder, "Username", user);
        }

        if (password is not null)
        {
            Append(builder, "Password", password);
        }

        foreach (var (key, keyValue) in ParseQuery(uri.Query))
        {
            if (!s_postgresQueryKeywords.TryGetValue(key, out var keyword))
            {
                throw new SettingsException(Variable, $"query parameter '{key}' is not supported (known: {string.Join(", ", s_postgresQueryKeywords.Keys)})");
            }

            Append(builder, keyword, key == "sslmode" ? NpgsqlSslMode(keyValue) : keyValue);
        }

        return (builder.ToString(), Redact(uri));
    }

    // libpq spells two of its modes with a hyphen; Npgsql names them VerifyCA and VerifyFull.
    private static string NpgsqlSslMode(string libpqMode) => libpqMode switch
    {
        "verify-ca" => "VerifyCA",
        "verify-full" => "VerifyFull",
        _ => libpqMode,
    };

    /// <summary>
    /// REDIS_URL (redis://[user:password@]host[:port][/db], rediss:// for TLS) in StackExchange.Redis
    /// form. <c>?ssl_ca_certs=/path/ca.pem</c> (redis-py's name) trusts that CA for a rediss://
    /// server; other query options (Celery's) are not connection settings and are ignored.
    /// </summary>
    public static (string Configuration, string Redacted, int Database, string? CaFile) ParseRedisUrl(string value, string variable = "REDIS_URL")
    {
        var Variable = variable;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss"))
        {
            throw new SettingsException(Variable, "is not a redis:// or rediss:// URL");
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw new SettingsException(Variable, "has no host");
        }

        var path = uri.AbsolutePath.Trim('/');
        var database = 0;
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 255))
        {
            throw new SettingsException(Variable, $"database '{path}' is not a number from 0 to 255");
        }

        var port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
        var (user, password) = SplitUserInfo(uri);
        var configuration = new StringBuilder()
            .Append(uri.Host).Append(':').Append(port.ToString(CultureInfo.InvariantCulture))
            .Append(",defaultDatabase=").Append(database.ToString(CultureInfo.InvariantCulture))
            .Append(",abortConnect=false");
        if (!string.IsNullOrEmpty(user))
        {
            configuration.Append(",user=").Append(user);
        }

        if (password is not null)
        {
            configuration.Append(",password=").Append(password);
        }

        if (uri.Scheme == "rediss")
        {
            configuration.Append(",ssl=true");
        }

        var caFile = QueryValue(value, "ssl_ca_certs");
        if (caFile is not null && uri.Scheme != "rediss")
        {
            throw new SettingsException(Variable, "has ssl_ca_certs but is not a rediss:// (TLS) URL");
        }

        return (configuration.ToString(), Redact(uri), database, caFile);
    }

    /// <summary>NATS_URL: one or more nats:// (or tls://, ws://) URLs separated by commas.</summary>
    public static (string Url, string Redacted) ParseNatsUrl(string value)
    {
        const string Variable = "NATS_URL";
        var redacted = new List<string>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls" or "ws" or "wss") || string.IsNullOrEmpty(uri.Host))
            {
                throw new SettingsException(Variable, $"'{RedactLoose(part)}' is not a nats:// URL");
            }

            redacted.Add(Redact(uri));
        }

        if (redacted.Count == 0)
        {
            throw new SettingsException(Variable, "is empty");
        }

        return (value, string.Join(',', redacted));
    }

    /// <summary>
    /// CELERY_BROKER_URL: an AMQP 0-9-1 broker (amqp:// or amqps://). <c>?cacertfile=/path/ca.pem</c>
    /// (RabbitMQ's URI query parameter) is the CA an amqps:// broker's certificate must chain to;
    /// it is taken off the URL the client gets.
    /// </summary>
    public static (Uri Url, string Redacted, string? CaFile) ParseBrokerUrl(string value)
    {
        const string Variable = "CELERY_BROKER_URL";
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            throw new SettingsException(Variable, "is not a valid URL");
        }

        if (uri.Scheme is "redis" or "rediss")
        {
            throw new SettingsException(Variable, "is a Redis broker; antenna-ingest consumes Celery from RabbitMQ (amqp://) only");
        }

        if (uri.Scheme is not ("amqp" or "amqps") || string.IsNullOrEmpty(uri.Host))
        {
            throw new SettingsException(Variable, "is not an amqp:// URL");
        }

        var caFile = QueryValue(value, "cacertfile");
        if (caFile is not null && uri.Scheme != "amqps")
        {
            throw new SettingsException(Variable, "has cacertfile but is not an amqps:// (TLS) URL");
        }

        return (new UriBuilder(uri) { Query = string.Empty }.Uri, Redact(uri), caFile);
    }

    /// <summary>The URL with any password replaced by ***.</summary>
    public static string Redact(Uri uri)
    {
        var (user, password) = SplitUserInfo(uri);
        var authority = uri.IsDefaultPort || uri.Port < 0 ? uri.Host : $"{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
        var credentials = user is null && password is null ? string.Empty : $"{user}{(password is null ? string.Empty : ":***")}@";
        return $"{uri.Scheme}://{credentials}{authority}{uri.AbsolutePath}";
    }

    private static string RedactLoose(string text)
    {
        var at = text.LastIndexOf('@');
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme >= 0 && at > scheme ? string.Concat(text.AsSpan(0, scheme + 3), "***", text.AsSpan(at)) : text;
    }

    private static string RedactKeywordPassword(string keywordString)
    {
        var parts = keywordString.Split(';');
        for (var i = 0; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }

            var key = parts[i][..eq].Trim().ToUpperInvariant();
            if (key is "PASSWORD" or "PSW" or "PWD")
            {
                parts[i] = parts[i][..(eq + 1)] + "***";
            }
        }

        return string.Join(';', parts);
    }

    private static (string? User, string? Password) SplitUserInfo(Uri uri)
    {
        if (string.IsNullOrEmpty(uri.UserInfo))
        {
            return (null, null);
        }

        var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
        return colon < 0
            ? (Uri.UnescapeDataString(uri.UserInfo), null)
            : (Uri.UnescapeDataString(uri.UserInfo[..colon]), Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]));
    }

    /// <summary>The last value of a URL's query parameter; null when absent or when the text is not a URL.</summary>
    public static string? QueryValue(string url, string key) =>
        url.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(url, UriKind.Absolute, out var uri)
            ? ParseQuery(uri.Query).Where(p => p.Key == key).Select(p => p.Value).LastOrDefault()
            : null;

    private static IEnumerable<(string Key, string Value)> ParseQuery(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            yield return eq < 0
                ? (Uri.UnescapeDataString(pair), string.Empty)
                : (Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..]));
        }
    }

    private static void Append(StringBuilder builder, string keyword, string value)
    {
        if (builder.Length > 0)
        {
            builder.Append(';');
        }

        // Npgsql keyword values are quoted when they contain separators or quotes.
        var needsQuotes = value.AsSpan().IndexOfAny(";='\" ") >= 0;
        builder.Append(keyword).Append('=');
        if (needsQuotes)
        {
            builder.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }
        else
        {
            builder.Append(value);
        }
    }
}
