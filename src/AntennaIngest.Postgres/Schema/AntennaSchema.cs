namespace AntennaIngest.Postgres.Schema;

/// <summary>
/// The tables and columns of Antenna's schema this binary reads or writes. `check` verifies each
/// exists, so a migration that renames one is caught before any result is taken.
/// </summary>
public static class AntennaSchema
{
    public static IReadOnlyDictionary<string, string[]> RequiredColumns { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["jobs_job"] = ["id", "name", "status", "progress", "created_at", "updated_at", "started_at", "finished_at", "project_id", "pipeline_id", "dispatch_mode", "job_type_key"],
        ["jobs_joblog"] = ["id", "created_at", "updated_at", "job_id", "level", "message", "context"],
        ["main_project"] = ["id", "default_filters_score_threshold"],
        ["main_project_default_filters_include_taxa"] = ["project_id", "taxon_id"],
        ["main_project_default_filters_exclude_taxa"] = ["project_id", "taxon_id"],
        ["main_s3storagesource"] = ["id", "bucket", "prefix", "access_key", "secret_key", "endpoint_url", "public_base_url", "region"],
        ["main_deployment"] = ["id", "project_id", "data_source_id", "data_source_total_files", "data_source_total_size", "events_count", "captures_count", "detections_count", "occurrences_count", "taxa_count", "first_capture_timestamp", "last_capture_timestamp", "updated_at"],
        ["main_event"] = ["id", "deployment_id", "project_id", "group_by", "start", "end", "captures_count", "detections_count", "occurrences_count", "calculated_fields_updated_at"],
        ["main_sourceimage"] = ["id", "path", "public_base_url", "timestamp", "size", "deployment_id", "event_id", "project_id", "detections_count", "updated_at"],
        ["main_detection"] = ["id", "created_at", "updated_at", "bbox", "timestamp", "path", "frame_num", "detection_time", "detection_score", "similarity_vector", "occurrence_id", "source_image_id", "detection_algorithm_id"],
        ["main_classification"] = ["id", "created_at", "updated_at", "score", "timestamp", "algorithm_id", "detection_id", "taxon_id", "category_map_id", "logits", "scores", "terminal", "applied_to_id"],
        ["main_occurrence"] = ["id", "created_at", "updated_at", "deployment_id", "determination_id", "event_id", "project_id", "determination_score"],
        ["main_identification"] = ["id", "created_at", "occurrence_id", "taxon_id", "withdrawn"],
        ["main_taxon"] = ["id", "created_at", "updated_at", "name", "rank", "active", "ordering", "parent_id", "display_name", "author", "notes", "parents_json", "search_names"],
        ["main_taxalist"] = ["id", "created_at", "updated_at", "name", "description"],
        ["main_taxalist_taxa"] = ["taxalist_id", "taxon_id"],
        ["main_taxalist_projects"] = ["taxalist_id", "project_id"],
        ["ml_algorithm"] = ["id", "created_at", "updated_at", "name", "key", "version", "task_type", "category_map_id"],
        ["ml_algorithmcategorymap"] = ["id", "created_at", "updated_at", "data", "labels", "version", "description", "labels_hash", "uri"],
        ["ml_pipeline"] = ["id", "created_at", "updated_at", "name", "slug", "version", "version_name", "description", "stages", "default_config"],
        ["ml_pipeline_algorithms"] = ["pipeline_id", "algorithm_id"],
    };
}
