namespace AntennaIngest.Core.Configuration;

/// <summary>
/// Every environment variable the binary reads, with its default and effect. The reader, the
/// `--help` text and docs/operations.md all come from this one list.
/// </summary>
public static class SettingsCatalog
{
    // Defaults point at the loopback services started by scripts/services.sh, so the binary runs
    // out of the box on a developer machine; production sets Antenna's own variables.
    public const string DefaultDatabaseUrl = "postgres://antenna:antenna@127.0.0.1:56432/antenna";
    public const string DefaultRedisUrl = "redis://127.0.0.1:56379/0";
    public const string DefaultNatsUrl = "nats://127.0.0.1:54222";
    public const string DefaultBrokerUrl = "amqp://guest:guest@127.0.0.1:55672/";

    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        new("DATABASE_URL", DefaultDatabaseUrl, "PostgreSQL (or pgbouncer) holding Antenna's schema; postgres:// URL as Antenna writes it, or the Npgsql keyword form; TLS as libpq: ?sslmode=verify-full&sslrootcert=/path/ca.pem.", Secret: true),
        new("REDIS_URL", DefaultRedisUrl, "Redis with Antenna's job state (redis://[:password@]host:port/db; the db number selects the database); rediss:// for TLS, ?ssl_ca_certs=/path/ca.pem as redis-py reads it.", Secret: true),
        new("NATS_URL", DefaultNatsUrl, "NATS server with JetStream: task acks, job stream cleanup and the native results intake; tls:// for TLS (see NATS_CA).", Secret: true),
        new("NATS_CA", "", "PEM file of the CA that signed the NATS server's certificate, for tls:// URLs (as the nats CLI reads it); empty: the system's trust store (SSL_CERT_FILE)."),
        new("CELERY_BROKER_URL", DefaultBrokerUrl, "RabbitMQ broker carrying Antenna's Celery queue (amqp://user:pass@host:port/vhost); amqps:// for TLS, ?cacertfile=/path/ca.pem as RabbitMQ's URIs name it (else the system's store).", Secret: true),
        new("TIME_ZONE", "America/New_York", "Django TIME_ZONE: naive timestamps in results are wall-clock times in this zone."),
        new("INGEST_CACHALOT", "true", "After every commit, invalidate django-cachalot's cached queries over the tables written (Django's cache: REDIS_URL, key prefix :1:), as Antenna's ORM writes do; false for a Django without django-cachalot."),
        new("JOB_LOG_PERSIST_ENABLED", "true", "Write job log lines to jobs_joblog (as Antenna's JobLogHandler does)."),
        new("INGEST_JOB_LOG", "antenna", "Job-log lines: antenna (the lines Antenna's task writes per result, same order and wording) or summary (a few lines per result and one per progress write)."),
        new("NATS_TASK_TTR", "300", "Seconds of ack_wait on Antenna's job consumers; results that take longer than half of it send in-progress (+WPI)."),
        new("MEDIA_ROOT", "./media", "Filesystem root for detection crops when INGEST_CROP_STORAGE=filesystem."),
        new("DJANGO_AWS_ACCESS_KEY_ID", "", "S3 access key for crop storage (INGEST_CROP_STORAGE=s3).", Secret: true),
        new("DJANGO_AWS_SECRET_ACCESS_KEY", "", "S3 secret key for crop storage.", Secret: true),
        new("DJANGO_AWS_STORAGE_BUCKET_NAME", "", "S3 bucket for crop storage."),
        new("DJANGO_AWS_S3_REGION_NAME", "", "S3 region for crop storage (empty: us-east-1)."),
        new("DJANGO_AWS_S3_ENDPOINT_URL", "", "S3-compatible endpoint for crop storage (empty: AWS)."),
        new("INGEST_INTAKE", "celery", "Which intakes run: celery (the ml_results queue), jetstream (the native results stream) or both."),
        new("INGEST_MAX_IN_FLIGHT", "1000", "Results held at once (decoded, waiting or being written); also the AMQP prefetch and JetStream fetch credit."),
        new("INGEST_MAX_MESSAGE_BYTES", "104857600", "Largest accepted result after decompression; larger ones are rejected with a reason."),
        new("INGEST_MAX_RETRIES", "5", "Retries of a task after a transient dependency failure (Celery's max_retries for this task)."),
        new("INGEST_DB_CONNECTIONS", "8", "Database connections this process opens at most (writers + one for progress, logs and counts). Keep instances × this ≤ pgbouncer default_pool_size minus what Django needs."),
        new("INGEST_DB_PREPARE", "false", "Server-side prepared statements. Only with pgbouncer ≥ 1.21 (max_prepared_statements > 0) or a direct PostgreSQL connection."),
        new("INGEST_DB_GROUP_MAX", "64", "Most results written in one transaction (group commit)."),
        new("INGEST_PROGRESS_INTERVAL_MS", "250", "Least time between two progress writes of the same job row."),
        new("INGEST_COUNTS_INTERVAL_MS", "1000", "Least time between two recounts of the same event or deployment."),
        new("INGEST_CROPS", "true", "Make detection crops (Antenna's create_detection_images) after each saved result."),
        new("INGEST_CROP_THREADS", "(cores)", "Dedicated threads that decode, crop and encode images."),
        new("INGEST_CROP_QUEUE", "256", "Source images waiting for the crop threads at most."),
        new("INGEST_CROP_MEMORY_MB", "768", "Decoded pixels held by the crop threads at once, in MiB; large images wait for room."),
        new("INGEST_CROP_JPEG_QUALITY", "75", "JPEG quality of crops (Pillow's default, as Antenna)."),
        new("INGEST_CROP_STORAGE", "filesystem", "Where crops go: filesystem (MEDIA_ROOT) or s3 (DJANGO_AWS_*)."),
        new("INGEST_S3_LOCATION", "uploads", "Key prefix inside the bucket (django-storages `location`)."),
        new("INGEST_CELERY_QUEUE", "ml_results", "The Celery queue consumed."),
        new("INGEST_CELERY_FALLBACK_QUEUE", "ml_results_unhandled", "Where tasks this binary does not run are re-published unchanged."),
        new("INGEST_CELERY_REJECTED_QUEUE", "ml_results_rejected", "Where messages that can never be processed are dead-lettered, with the reason in a header."),
        new("CELERY_RESULT_BACKEND", "", "Celery result backend, as Antenna's setting: redis://…/db or rpc://. Empty: REDIS_URL with database 1 (Antenna's default).", Secret: true),
        new("CELERY_RESULT_EXPIRES", "259200", "Seconds a stored task result lives (Antenna's 72 h); 0 keeps it forever."),
        new("INGEST_CELERY_EVENTS", "true", "Send Celery task and worker events on the celeryev exchange (for Flower), as Antenna's workers do."),
        new("INGEST_CELERY_HOSTNAME", "antenna-ingest@(host name)", "The worker name results and events carry (Celery's -n name@host)."),
        new("INGEST_JETSTREAM_STREAM", "ingest_results", "JetStream stream of the native results intake."),
        new("INGEST_JETSTREAM_SUBJECT", "ingest.results.>", "Subjects of that stream."),
        new("INGEST_JETSTREAM_CONSUMER", "antenna-ingest", "Durable pull consumer shared by all instances."),
        new("INGEST_JETSTREAM_MAX_DELIVER", "6", "Deliveries of one results message before it is given up (1 + INGEST_MAX_RETRIES)."),
        new("INGEST_HTTP_HOST", "127.0.0.1", "Address of the /healthz, /readyz and /metrics listener (0.0.0.0 in a container)."),
        new("INGEST_HTTP_PORT", "9480", "Port of that listener; 0 turns it off."),
        new("INGEST_SHUTDOWN_TIMEOUT", "20", "Seconds in-flight work may take to finish after SIGTERM before it is handed back to the broker."),
        new("INGEST_STALL_SECONDS", "60", "Results pending but none completed for this long raises the stall alarm (metric and error log)."),
        new("INGEST_LOG_FORMAT", "text", "text (human-readable) or json (one JSON object per line)."),
        new("INGEST_LOG_LEVEL", "Information", "Least level logged: Trace, Debug, Information, Warning, Error."),
    ];
}
