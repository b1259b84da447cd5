namespace AntennaIngest.Core.Configuration;

public enum IntakeMode
{
    Celery,
    JetStream,
    Both,
}

public enum LogFormat
{
    Text,
    Json,
}

/// <summary>Which job-log lines are written: Antenna's own, per result, or a compact summary.</summary>
public enum JobLogStyle
{
    Antenna,
    Summary,
}

public enum CropStorageKind
{
    FileSystem,
    S3,
}

/// <summary>PostgreSQL: where, how many connections, and how statements are sent.</summary>
/// <param name="ConnectionString">Npgsql keyword form, password included; never logged.</param>
/// <param name="Redacted">The same location with the password replaced, safe to log.</param>
/// <param name="Connections">Upper bound of server connections this process opens (size it to the pgbouncer pool).</param>
/// <param name="Prepare">Server-side prepared statements; only for pgbouncer ≥ 1.21 or direct connections.</param>
/// <param name="TimeZone">The zone Antenna writes naive wall-clock times in (Django TIME_ZONE).</param>
public sealed record DatabaseSettings(
    string ConnectionString,
    string Redacted,
    int Connections,
    bool Prepare,
    string TimeZone,
    int GroupMaxResults,
    TimeSpan CountsRefreshInterval,
    TimeSpan ProgressInterval,
    bool JobLogPersist,
    JobLogStyle JobLogStyle = JobLogStyle.Antenna);

/// <param name="InvalidateDjangoCache">Bump django-cachalot's table keys in this database after every commit (INGEST_CACHALOT).</param>
/// <param name="CaFile">PEM file of the CA to trust for a rediss:// server (the URL's ssl_ca_certs); null: the system's store.</param>
public sealed record RedisSettings(string Configuration, string Redacted, int Database, bool InvalidateDjangoCache = false, string? CaFile = null);

public sealed record NatsSettings(
    string Url,
    string Redacted,
    TimeSpan TaskTtr,
    string ResultsStream,
    string ResultsSubject,
    string ResultsConsumer,
    int ResultsMaxDeliver,
    string? CaFile = null);

/// <param name="Results">Where task results go (Antenna's CELERY_RESULT_BACKEND); null stores none.</param>
/// <param name="Events">Send Celery task and worker events (Antenna sets worker_send_task_events).</param>
/// <param name="WorkerName">The worker's Celery hostname (name@host), as results and events name it.</param>
/// <param name="CaFile">PEM file of the only CA an amqps:// broker's certificate may chain to (the URL's cacertfile); null: the system's store.</param>
public sealed record CelerySettings(
    Uri BrokerUrl,
    string Redacted,
    string Queue,
    string FallbackQueue,
    string RejectedQueue,
    CeleryResultSettings? Results = null,
    bool Events = false,
    string WorkerName = "antenna-ingest@localhost",
    string? CaFile = null);

public enum ResultBackendKind
{
    Redis,
    Rpc,
}

/// <summary>Celery's result backend: Redis (key celery-task-meta-&lt;id&gt;, with expiry) or rpc:// (reply to the client).</summary>
/// <param name="Redis">The Redis of a redis:// backend (its own database, usually 1).</param>
/// <param name="Expires">CELERY_RESULT_EXPIRES; zero keeps results forever.</param>
public sealed record CeleryResultSettings(ResultBackendKind Kind, RedisSettings? Redis, TimeSpan Expires);

public sealed record CropSettings(
    bool Enabled,
    int Threads,
    int QueueCapacity,
    long DecodeMemoryBudgetBytes,
    int JpegQuality,
    CropStorageKind Storage,
    string MediaRoot,
    S3StorageSettings? S3);

/// <summary>Antenna's django-storages settings (DJANGO_AWS_*), read when crops go to S3.</summary>
public sealed record S3StorageSettings(
    string AccessKeyId,
    string SecretAccessKey,
    string Bucket,
    string? Region,
    string? EndpointUrl,
    string Location);

public sealed record HttpSettings(string Host, int Port);

/// <summary>Bounds and timings of the processing pipeline itself.</summary>
public sealed record ProcessingSettings(
    IntakeMode Intake,
    int MaxInFlight,
    long MaxMessageBytes,
    TimeSpan ShutdownTimeout,
    TimeSpan StallAfter,
    int MaxRetries);

public sealed record LoggingSettings(LogFormat Format, string MinimumLevel);

/// <summary>Everything the binary reads at start, validated; immutable afterwards.</summary>
public sealed record IngestSettings(
    DatabaseSettings Database,
    RedisSettings Redis,
    NatsSettings Nats,
    CelerySettings Celery,
    CropSettings Crops,
    HttpSettings Http,
    ProcessingSettings Processing,
    LoggingSettings Logging);
