namespace AntennaIngest.Core.Metrics;

/// <summary>The series antenna-ingest exports; names and labels are documented in docs/operations.md.</summary>
public sealed class IngestMetrics
{
    public IngestMetrics(MetricsRegistry registry)
    {
        Registry = registry;
        Results = registry.Counter("antenna_ingest_results_total", "Tasks finished, by intake and outcome.", "intake", "outcome");
        Retries = registry.Counter("antenna_ingest_retries_total", "Transient failures that were retried, by dependency.", "dependency");
        Rejected = registry.Counter("antenna_ingest_rejected_total", "Messages dead-lettered or terminated because they can never be processed, by reason.", "reason");
        InFlight = registry.Gauge("antenna_ingest_in_flight", "Tasks received and not yet settled.");
        StageSeconds = registry.Histogram("antenna_ingest_stage_seconds", "Time spent per stage of a result.", Histogram.LatencyBuckets, "stage");
        DbConnectionsInUse = registry.Gauge("antenna_ingest_db_connections_in_use", "Database connections checked out of the pool.");
        DbConnectionsOpen = registry.Gauge("antenna_ingest_db_connections_open", "Database connections open (busy or idle).");
        DbRequestsWaiting = registry.Gauge("antenna_ingest_db_requests_waiting", "Requests waiting for a pooled database connection (all INGEST_DB_CONNECTIONS in use).");
        DbRoundTrips = registry.Counter("antenna_ingest_db_round_trips_total", "Database round trips, by purpose.", "purpose");
        GroupSize = registry.Histogram("antenna_ingest_db_group_results", "Results written per database transaction (group commit).", [1, 2, 4, 8, 16, 32, 64, 128, 256], []);
        JobRowWrites = registry.Counter("antenna_ingest_job_progress_writes_total", "Writes of jobs_job.progress.");
        JobLogRows = registry.Counter("antenna_ingest_job_log_rows_total", "Rows inserted into jobs_joblog.");
        JobLogDropped = registry.Counter("antenna_ingest_job_log_dropped_total", "Job log lines dropped because the buffer was full while the database was unavailable.");
        NatsAcks = registry.Counter("antenna_ingest_nats_acks_total", "Task acks sent to JetStream, by kind and result.", "kind", "result");
        Crops = registry.Counter("antenna_ingest_crops_total", "Detection crops, by outcome.", "outcome");
        CropQueue = registry.Gauge("antenna_ingest_crop_queue", "Source images waiting for the crop threads.");
        Stalled = registry.Gauge("antenna_ingest_stalled", "1 while results are pending but none completed within INGEST_STALL_SECONDS.");
        LastCompletion = registry.Gauge("antenna_ingest_last_completion_timestamp_seconds", "Unix time of the last settled task.");
        CeleryEvents = registry.Counter("antenna_ingest_celery_events_total", "Celery events (task-*, worker-*) by result: sent, or dropped because the broker channel was unavailable or the buffer full.", "result");
        DependencyUp = registry.Gauge("antenna_ingest_dependency_up", "1 when the dependency is connected.", "dependency");
    }

    public MetricsRegistry Registry { get; }

    public Counter Results { get; }

    public Counter Retries { get; }

    public Counter Rejected { get; }

    public Gauge InFlight { get; }

    public Histogram StageSeconds { get; }

    public Gauge DbConnectionsInUse { get; }

    public Gauge DbConnectionsOpen { get; }

    public Gauge DbRequestsWaiting { get; }

    public Counter DbRoundTrips { get; }

    public Histogram GroupSize { get; }

    public Counter JobRowWrites { get; }

    public Counter JobLogRows { get; }

    public Counter JobLogDropped { get; }

    public Counter NatsAcks { get; }

    public Counter Crops { get; }

    public Gauge CropQueue { get; }

    public Gauge Stalled { get; }

    public Gauge LastCompletion { get; }

    public Gauge DependencyUp { get; }

    public Counter CeleryEvents { get; }
}
