namespace AntennaIngest.Postgres.Counts;

/// <summary>Event.update_calculated_fields and Deployment.update_calculated_fields, set-based for given ids.</summary>
internal static class CountSql
{
    /// <summary>
    /// $1 event ids, $2 TIME_ZONE. group_by from the stored start's local date when empty; project
    /// from the deployment when NULL; start/end from the captures (end = the latest capture with a
    /// timestamp: Antenna's ORDER BY timestamp DESC takes a NULL first and would blank it);
    /// counts with the project's default filters. updated_at untouched, as Antenna's bulk_update.
    /// </summary>
    public static readonly string Events = $"""
        UPDATE main_event e SET
            group_by = CASE WHEN e.group_by = '' THEN to_char(e.start AT TIME ZONE $2, 'YYYY-MM-DD') ELSE e.group_by END,
            project_id = x.project_id,
            start = COALESCE(x.first_capture, e.start),
            "end" = COALESCE(x.last_capture, e."end"),
            captures_count = x.captures,
            detections_count = x.detections,
            occurrences_count = x.occurrences,
            calculated_fields_updated_at = now()
        FROM (
            SELECT ev.id, COALESCE(ev.project_id, dep.project_id) AS project_id, cap.first_capture, cap.last_capture, cap.captures,
                   det.n AS detections, occ.n AS occurrences
            FROM main_event ev
            LEFT JOIN main_deployment dep ON dep.id = ev.deployment_id
            LEFT JOIN main_project p ON p.id = COALESCE(ev.project_id, dep.project_id)
            CROSS JOIN LATERAL (
                SELECT min(si."timestamp") AS first_capture, max(si."timestamp") AS last_capture, count(*)::int AS captures
                FROM main_sourceimage si WHERE si.event_id = ev.id) AS cap
            CROSS JOIN LATERAL (
                SELECT count(*)::int AS n
                FROM main_sourceimage si
                JOIN main_detection d ON d.source_image_id = si.id
                LEFT JOIN main_occurrence o ON o.id = d.occurrence_id
                LEFT JOIN main_taxon t ON t.id = o.determination_id
                WHERE si.event_id = ev.id AND d.bbox IS NOT NULL AND {DefaultFiltersSql.Passes("o", "t", "p")}) AS det
            CROSS JOIN LATERAL (
                SELECT count(*)::int AS n
                FROM main_occurrence o
                LEFT JOIN main_taxon t ON t.id = o.determination_id
                WHERE o.event_id = ev.id AND {DefaultFiltersSql.Passes("o", "t", "p")}) AS occ
            WHERE ev.id = ANY($1::bigint[])
        ) AS x
        WHERE e.id = x.id
        """;

    /// <summary>
    /// $1 deployment ids. Occurrence and taxa counts only for occurrences with an event; taxa_count
    /// counts distinct determinations with NULL as one value (Antenna's values().distinct().count()).
    /// </summary>
    public static readonly string Deployments = $"""
        UPDATE main_deployment dp SET
            data_source_total_files = x.files,
            data_source_total_size = x.size,
            events_count = x.events,
            captures_count = x.files,
            detections_count = x.detections,
            occurrences_count = x.occurrences,
            taxa_count = x.taxa,
            first_capture_timestamp = x.first_capture,
            last_capture_timestamp = x.last_capture,
            updated_at = now()
        FROM (
            SELECT d.id, cap.files, cap.size, cap.first_capture, cap.last_capture, ev.n AS events, det.n AS detections,
                   occ.n AS occurrences, occ.taxa
            FROM main_deployment d
            LEFT JOIN main_project p ON p.id = d.project_id
            CROSS JOIN LATERAL (
                SELECT count(*)::int AS files, sum(si.size)::bigint AS size, min(si."timestamp") AS first_capture, max(si."timestamp") AS last_capture
                FROM main_sourceimage si WHERE si.deployment_id = d.id) AS cap
            CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM main_event e WHERE e.deployment_id = d.id) AS ev
            CROSS JOIN LATERAL (
                SELECT count(*)::int AS n
                FROM main_sourceimage si
                JOIN main_detection dt ON dt.source_image_id = si.id
                LEFT JOIN main_occurrence o ON o.id = dt.occurrence_id
                LEFT JOIN main_taxon t ON t.id = o.determination_id
                WHERE si.deployment_id = d.id AND dt.bbox IS NOT NULL AND {DefaultFiltersSql.Passes("o", "t", "p")}) AS det
            CROSS JOIN LATERAL (
                SELECT count(*)::int AS n,
                       (count(DISTINCT o.determination_id) + CASE WHEN bool_or(o.determination_id IS NULL) THEN 1 ELSE 0 END)::int AS taxa
                FROM main_occurrence o
                LEFT JOIN main_taxon t ON t.id = o.determination_id
                WHERE o.deployment_id = d.id AND o.event_id IS NOT NULL AND {DefaultFiltersSql.Passes("o", "t", "p")}) AS occ
            WHERE d.id = ANY($1::bigint[])
        ) AS x
        WHERE dp.id = x.id
        """;
}
