using System.Globalization;
using System.Text.RegularExpressions;

namespace AntennaIngest.Core.Configuration;

/// <summary>
/// Reads <see cref="IngestSettings"/> from environment variables. Any unusable value throws a
/// <see cref="SettingsException"/> naming the variable; nothing is half-read.
/// </summary>
public sealed partial class SettingsReader(IReadOnlyDictionary<string, string?> environment)
{
    public static SettingsReader FromProcessEnvironment()
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            values[(string)entry.Key] = entry.Value as string;
        }

        return new SettingsReader(values);
    }

    public IngestSettings Read()
    {
        var (dbConnection, dbRedacted) = ConnectionUrls.ParseDatabaseUrl(Text("DATABASE_URL"));
        var (redisConfiguration, redisRedacted, redisDatabase, redisCaFile) = ConnectionUrls.ParseRedisUrl(Text("REDIS_URL"));
        ExistingFile("DATABASE_URL", "sslrootcert", ConnectionUrls.QueryValue(Text("DATABASE_URL"), "sslrootcert"));
        ExistingFile("REDIS_URL", "ssl_ca_certs", redisCaFile);
        var (natsUrl, natsRedacted) = ConnectionUrls.ParseNatsUrl(Text("NATS_URL"));
        var (brokerUrl, brokerRedacted, brokerCaFile) = ConnectionUrls.ParseBrokerUrl(Text("CELERY_BROKER_URL"));
        ExistingFile("CELERY_BROKER_URL", "cacertfile", brokerCaFile);

        var timeZone = Text("TIME_ZONE");
        if (!TimeZoneName().IsMatch(timeZone))
        {
            throw new SettingsException("TIME_ZONE", $"'{timeZone}' is not a time zone name such as America/New_York or UTC");
        }

        var maxRetries = Int("INGEST_MAX_RETRIES", 0, 20);
        var database = new DatabaseSettings(
            dbConnection,
            dbRedacted,
            Int("INGEST_DB_CONNECTIONS", 2, 500),
            Bool("INGEST_DB_PREPARE"),
            timeZone,
            Int("INGEST_DB_GROUP_MAX", 1, 1000),
            TimeSpan.FromMilliseconds(Int("INGEST_COUNTS_INTERVAL_MS", 0, 600_000)),
            TimeSpan.FromMilliseconds(Int("INGEST_PROGRESS_INTERVAL_MS", 0, 60_000)),
            Bool("JOB_LOG_PERSIST_ENABLED"),
            Choice("INGEST_JOB_LOG", ("antenna", JobLogStyle.Antenna), ("summary", JobLogStyle.Summary)));

        var nats = new NatsSettings(
            natsUrl,
            natsRedacted,
            TimeSpan.FromSeconds(Int("NATS_TASK_TTR", 1, 86_400)),
            Name("INGEST_JETSTREAM_STREAM"),
            Subject("INGEST_JETSTREAM_SUBJECT"),
            Name("INGEST_JETSTREAM_CONSUMER"),
            Int("INGEST_JETSTREAM_MAX_DELIVER", 1, 100),
            ExistingFile("NATS_CA", "the file", Optional("NATS_CA")));

        var celery = new CelerySettings(
            brokerUrl,
            brokerRedacted,
            QueueName("INGEST_CELERY_QUEUE"),
            QueueName("INGEST_CELERY_FALLBACK_QUEUE"),
            QueueName("INGEST_CELERY_REJECTED_QUEUE"),
            ResultBackend.Read(Optional("CELERY_RESULT_BACKEND"), Text("REDIS_URL"), Int("CELERY_RESULT_EXPIRES", 0, int.MaxValue)),
            Bool("INGEST_CELERY_EVENTS"),
            WorkerName(),
            brokerCaFile);

        var storage = Choice("INGEST_CROP_STORAGE", ("filesystem", CropStorageKind.FileSystem), ("s3", CropStorageKind.S3));
        var crops = new CropSettings(
            Bool("INGEST_CROPS"),
            Int("INGEST_CROP_THREADS", 1, 256),
            Int("INGEST_CROP_QUEUE", 1, 100_000),
            Int("INGEST_CROP_MEMORY_MB", 16, 1_048_576) * 1024L * 1024L,
            Int("INGEST_CROP_JPEG_QUALITY", 1, 100),
            storage,
            Text("MEDIA_ROOT"),
            storage == CropStorageKind.S3 ? ReadS3() : null);

        var processing = new ProcessingSettings(
            Choice("INGEST_INTAKE", ("celery", IntakeMode.Celery), ("jetstream", IntakeMode.JetStream), ("both", IntakeMode.Both)),
            Int("INGEST_MAX_IN_FLIGHT", 1, 100_000),
            Long("INGEST_MAX_MESSAGE_BYTES", 1024, 1L << 34),
            TimeSpan.FromSeconds(Int("INGEST_SHUTDOWN_TIMEOUT", 0, 3600)),
            TimeSpan.FromSeconds(Int("INGEST_STALL_SECONDS", 1, 86_400)),
            maxRetries);

        var logging = new LoggingSettings(
            Choice("INGEST_LOG_FORMAT", ("text", LogFormat.Text), ("json", LogFormat.Json)),
            Choice("INGEST_LOG_LEVEL", ("trace", "Trace"), ("debug", "Debug"), ("information", "Information"), ("info", "Information"), ("warning", "Warning"), ("error", "Error")));

        var http = new HttpSettings(Text("INGEST_HTTP_HOST"), Int("INGEST_HTTP_PORT", 0, 65535));

        return new IngestSettings(
            database,
            new RedisSettings(redisConfiguration, redisRedacted, redisDatabase, Bool("INGEST_CACHALOT"), redisCaFile),
            nats,
            celery,
            crops,
            http,
            processing,
            logging);
    }

    private S3StorageSettings ReadS3()
    {
        var endpoint = Optional("DJANGO_AWS_S3_ENDPOINT_URL");
        if (endpoint is not null && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
        {
            throw new SettingsException("DJANGO_AWS_S3_ENDPOINT_URL", "is not an absolute URL");
        }

        return new S3StorageSettings(
            Required("DJANGO_AWS_ACCESS_KEY_ID", "is required when INGEST_CROP_STORAGE=s3"),
            Required("DJANGO_AWS_SECRET_ACCESS_KEY", "is required when INGEST_CROP_STORAGE=s3"),
            Required("DJANGO_AWS_STORAGE_BUCKET_NAME", "is required when INGEST_CROP_STORAGE=s3"),
            Optional("DJANGO_AWS_S3_REGION_NAME"),
            endpoint,
            Text("INGEST_S3_LOCATION").Trim('/'));
    }

    private string? Raw(string name)
    {
        environment.TryGetValue(name, out var value);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static string DefaultOf(string name)
    {
        foreach (var definition in SettingsCatalog.All)
        {
            if (definition.Name == name)
            {
                return definition.Default;
            }
        }

        throw new InvalidOperationException($"{name} is not in SettingsCatalog");
    }

    private string Text(string name) => Raw(name) ?? DefaultOf(name);

    private string? Optional(string name)
    {
        _ = DefaultOf(name);
        return Raw(name);
    }

    // A CA file that is not there would otherwise surface as an endless outage at the first connection.
    private static string? ExistingFile(string variable, string what, string? path) =>
        path is null || File.Exists(path) ? path : throw new SettingsException(variable, $"{what} '{path}' does not exist");

    private string Required(string name, string problem) => Raw(name) ?? throw new SettingsException(name, problem);

    private int Int(string name, int min, int max) => checked((int)Long(name, min, max));

    private long Long(string name, long min, long max)
    {
        var text = Text(name);
        if (name == "INGEST_CROP_THREADS" && text == "(cores)")
        {
            return Environment.ProcessorCount;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new SettingsException(name, $"'{text}' is not a whole number");
        }

        if (value < min || value > max)
        {
            throw new SettingsException(name, $"{value} is outside {min}..{max}");
        }

        return value;
    }

    private bool Bool(string name)
    {
        var text = Text(name);
        return text.ToUpperInvariant() switch
        {
            "1" or "TRUE" or "YES" or "ON" or "T" or "Y" => true,
            "0" or "FALSE" or "NO" or "OFF" or "F" or "N" => false,
            _ => throw new SettingsException(name, $"'{text}' is not a boolean (true/false)"),
        };
    }

    private T Choice<T>(string name, params (string Text, T Value)[] choices)
    {
        var text = Text(name);
        foreach (var (choiceText, value) in choices)
        {
            if (string.Equals(choiceText, text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        var names = new List<string>();
        foreach (var (choiceText, _) in choices)
        {
            names.Add(choiceText);
        }

        throw new SettingsException(name, $"'{text}' is not one of {string.Join(", ", names)}");
    }

    private string WorkerName()
    {
        var text = Text("INGEST_CELERY_HOSTNAME");
        return text == "antenna-ingest@(host name)" ? $"antenna-ingest@{Environment.MachineName}" : text;
    }

    private string QueueName(string name)
    {
        var text = Text(name);
        if (text.Length > 255)
        {
            throw new SettingsException(name, "is longer than 255 characters");
        }

        return text;
    }

    private string Name(string name)
    {
        var text = Text(name);
        if (!NatsName().IsMatch(text))
        {
            throw new SettingsException(name, $"'{text}' may only contain letters, digits, '-' and '_'");
        }

        return text;
    }

    private string Subject(string name)
    {
        var text = Text(name);
        if (text.Contains(' ', StringComparison.Ordinal) || text.StartsWith('.') || text.EndsWith('.'))
        {
            throw new SettingsException(name, $"'{text}' is not a NATS subject");
        }

        return text;
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")]
    private static partial Regex TimeZoneName();

    [GeneratedRegex(@"^[A-Za-z0-9_\-]+$")]
    private static partial Regex NatsName();
}
