using AntennaIngest.Postgres.Counts;

namespace AntennaIngest.Postgres.Writing;

/// <summary>
/// Round trip 3: every write as one multi-row statement over arrays, then COMMIT. Foreign keys
/// are DEFERRABLE INITIALLY DEFERRED, so the order only has to respect what a statement reads.
/// created_at/updated_at are now(), the transaction's time, as Django's now() at save.
/// </summary>
internal static class WriteSql
{
    public const string Taxa = """
        INSERT INTO main_taxon (id, created_at, updated_at, name, rank, active, display_name, author, notes, parents_json, search_names)
        SELECT u.id, now(), now(), u.name, u.rank, true, u.display_name, '', '', '[]'::jsonb, '{}'::varchar[]
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u(id, name, rank, display_name)
        """;

    public const string TaxaLists = """
        INSERT INTO main_taxalist (id, created_at, updated_at, name, description)
        SELECT u.id, now(), now(), u.name, ''
        FROM unnest($1::bigint[], $2::text[]) AS u(id, name)
        """;

    public const string CategoryMaps = """
        INSERT INTO ml_algorithmcategorymap (id, created_at, updated_at, data, labels, version, description, labels_hash, uri)
        SELECT u.id, now(), now(), u.data::jsonb, ($4::varchar[])[u.label_offset + 1 : u.label_offset + u.label_count], u.version,
               'Placeholder category map automatically created from classification data', u.labels_hash, NULL
        FROM unnest($1::bigint[], $2::text[], $3::text[], $5::int[], $6::int[], $7::bigint[]) AS u(id, data, version, label_offset, label_count, labels_hash)
        """;

    // Only if the algorithm still has no map (another writer's placeholder would win otherwise).
    public const string AttachCategoryMaps = """
        UPDATE ml_algorithm a SET category_map_id = u.map_id, updated_at = now()
        FROM unnest($1::bigint[], $2::bigint[]) AS u(algorithm_id, map_id)
        WHERE a.id = u.algorithm_id AND a.category_map_id IS NULL
        """;

    // Sorted, so two writers adding the same pairs never wait on each other in a cycle.
    public const string TaxaListTaxa = """
        INSERT INTO main_taxalist_taxa (taxalist_id, taxon_id)
        SELECT u.taxalist_id, u.taxon_id FROM unnest($1::bigint[], $2::bigint[]) AS u(taxalist_id, taxon_id)
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING
        """;

    public const string Occurrences = """
        INSERT INTO main_occurrence (id, created_at, updated_at, event_id, deployment_id, project_id, determination_id, determination_score)
        SELECT u.id, now(), now(), u.event_id, u.deployment_id, u.project_id, u.determination_id, u.score
        FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::float8[])
             AS u(id, event_id, deployment_id, project_id, determination_id, score)
        """;

    // timestamp = the image's, as stored (the group's image UPDATE runs later) or, when NULL, what
    // a save earlier in the group filled ($9, wall-clock in $10); detection_time = the response's
    // (naive ones are wall-clock times in the zone).
    public const string Detections = """
        INSERT INTO main_detection (id, created_at, updated_at, bbox, "timestamp", path, detection_time, occurrence_id, source_image_id, detection_algorithm_id)
        SELECT u.id, now(), now(), u.bbox::jsonb, COALESCE(si."timestamp", u.fill AT TIME ZONE $10::text), u.path,
               u.detection_time AT TIME ZONE u.zone, u.occurrence_id, u.image_id, u.algorithm_id
        FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::timestamp[], $6::text[], $7::bigint[], $8::bigint[], $9::timestamp[])
             AS u(id, image_id, bbox, path, detection_time, zone, algorithm_id, occurrence_id, fill)
        JOIN main_sourceimage si ON si.id = u.image_id
        """;

    // Antenna's re-save of a detection with an empty path: the crop URL or NULL, a NULL timestamp
    // from the image. Only over a path still empty (a crop worker may have stored one since the
    // read). updated_at moves only with a value (Antenna's save always bumps it; a replay here
    // leaves the row as it was). SET expressions all see the row as it was.
    public const string DetectionUpdates = """
        UPDATE main_detection d SET
            occurrence_id = COALESCE(u.occurrence_id, d.occurrence_id),
            path = CASE WHEN x.resave THEN u.path ELSE d.path END,
            "timestamp" = CASE WHEN x.resave THEN x.ts ELSE d."timestamp" END,
            updated_at = CASE WHEN x.resave AND (u.path IS DISTINCT FROM d.path OR x.ts IS DISTINCT FROM d."timestamp")
                              THEN now() ELSE d.updated_at END
        FROM unnest($1::bigint[], $2::bigint[], $3::bool[], $4::text[], $5::timestamp[]) AS u(id, occurrence_id, resaved, path, fill)
        CROSS JOIN LATERAL (
            SELECT u.resaved AND COALESCE(d2.path, '') = '' AS resave,
                   COALESCE(d2."timestamp", si."timestamp", u.fill AT TIME ZONE $6::text) AS ts
            FROM main_detection d2 JOIN main_sourceimage si ON si.id = d2.source_image_id
            WHERE d2.id = u.id
        ) AS x
        WHERE d.id = u.id
        """;

    // Vectors arrive as one binary float8[] each and are sliced per row (length -1 = NULL).
    public const string Classifications = """
        INSERT INTO main_classification (id, created_at, updated_at, score, "timestamp", algorithm_id, detection_id, taxon_id,
                                         category_map_id, logits, scores, terminal, applied_to_id)
        SELECT u.id, now(), now(), u.score, u.ts AT TIME ZONE u.zone, u.algorithm_id, u.detection_id, u.taxon_id, u.category_map_id,
               CASE WHEN u.logits_length < 0 THEN NULL ELSE ($15::float8[])[u.logits_offset + 1 : u.logits_offset + u.logits_length] END,
               CASE WHEN u.scores_length < 0 THEN NULL ELSE ($14::float8[])[u.scores_offset + 1 : u.scores_offset + u.scores_length] END,
               u.terminal, NULL
        FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::float8[], $6::timestamp[], $7::text[], $8::bigint[],
                    $9::bool[], $10::int[], $11::int[], $12::int[], $13::int[])
             AS u(id, detection_id, taxon_id, algorithm_id, score, ts, zone, category_map_id, terminal,
                  scores_offset, scores_length, logits_offset, logits_length)
        """;

    // NULL fields of a duplicate get the response's values; updated_at stays (Antenna's update_fields save).
    public const string Backfills = """
        UPDATE main_classification c SET
            category_map_id = COALESCE(c.category_map_id, u.category_map_id),
            scores = CASE WHEN c.scores IS NULL AND u.scores_length >= 0
                          THEN ($6::float8[])[u.scores_offset + 1 : u.scores_offset + u.scores_length] ELSE c.scores END,
            logits = CASE WHEN c.logits IS NULL AND u.logits_length >= 0
                          THEN ($7::float8[])[u.logits_offset + 1 : u.logits_offset + u.logits_length] ELSE c.logits END
        FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::int[], $5::int[], $8::int[])
             AS u(id, category_map_id, scores_offset, scores_length, logits_offset, logits_length)
        WHERE c.id = u.id
        """;

    // updated_at untouched, as Antenna's bulk_update.
    public const string Determinations = """
        UPDATE main_occurrence o SET determination_id = u.taxon_id, determination_score = u.score
        FROM unnest($1::bigint[], $2::bigint[], $3::float8[]) AS u(id, taxon_id, score)
        WHERE o.id = u.id
        """;

    /// <summary>
    /// SourceImage.save()'s calculated fields: the timestamp from the file name when NULL ($3,
    /// wall-clock in $4, parsed by the planner), project from the deployment when missing, the data
    /// source's public_base_url when empty, the filtered detections_count; updated_at now. Rows
    /// are written only when a value moves or the group changed the image ($2), so a replay
    /// leaves the table as it was.
    /// </summary>
    public static readonly string Images = $"""
        UPDATE main_sourceimage si SET
            "timestamp" = x."timestamp",
            project_id = x.project_id,
            public_base_url = x.public_base_url,
            detections_count = x.detections_count,
            updated_at = now()
        FROM (
            SELECT s.id,
                   COALESCE(s."timestamp", f.fill AT TIME ZONE $4::text) AS "timestamp",
                   COALESCE(s.project_id, dep.project_id) AS project_id,
                   CASE WHEN s.path <> '' AND COALESCE(s.public_base_url, '') = '' THEN NULLIF(ds.public_base_url, '')
                        ELSE s.public_base_url END AS public_base_url,
                   cnt.n AS detections_count
            FROM unnest($1::bigint[], $3::timestamp[]) AS f(id, fill)
            JOIN main_sourceimage s ON s.id = f.id
            LEFT JOIN main_deployment dep ON dep.id = s.deployment_id
            LEFT JOIN main_s3storagesource ds ON ds.id = dep.data_source_id
            LEFT JOIN main_project p ON p.id = COALESCE(s.project_id, dep.project_id)
            CROSS JOIN LATERAL (
                SELECT count(*)::int AS n
                FROM main_detection d
                LEFT JOIN main_occurrence o ON o.id = d.occurrence_id
                LEFT JOIN main_taxon t ON t.id = o.determination_id
                WHERE d.source_image_id = s.id AND d.bbox IS NOT NULL AND {DefaultFiltersSql.Passes("o", "t", "p")}
            ) AS cnt
        ) AS x
        WHERE si.id = x.id
          AND (si.id = ANY($2::bigint[])
               OR si."timestamp" IS DISTINCT FROM x."timestamp"
               OR si.project_id IS DISTINCT FROM x.project_id
               OR si.public_base_url IS DISTINCT FROM x.public_base_url
               OR si.detections_count IS DISTINCT FROM x.detections_count)
        """;

    /// <summary>Null markers, the last rows written: bbox NULL, timestamp = the image's (after its save), detection_time now().</summary>
    public const string Markers = """
        INSERT INTO main_detection (id, created_at, updated_at, bbox, "timestamp", path, detection_time, source_image_id, detection_algorithm_id)
        SELECT u.id, now(), now(), NULL, COALESCE(si."timestamp", u.fill AT TIME ZONE $5::text), NULL, now(), u.image_id, u.algorithm_id
        FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::timestamp[]) AS u(id, image_id, algorithm_id, fill)
        JOIN main_sourceimage si ON si.id = u.image_id
        """;

    public const string ImagesNeedingCrops = """
        SELECT DISTINCT d.source_image_id
        FROM main_detection d
        WHERE d.source_image_id = ANY($1::bigint[]) AND d.bbox IS NOT NULL AND d.path IS NULL
        """;

    /// <summary>Antenna's placeholder for an unknown slug (its own transaction; no algorithms, so the result still fails).</summary>
    public const string PlaceholderPipelines = """
        INSERT INTO ml_pipeline (created_at, updated_at, name, slug, version, version_name, description, stages, default_config)
        SELECT now(), now(), u.slug, u.slug, 1, '', '',
               '[{"key": "default", "name": "Default Stage", "params": [{"name": "Placeholder", "key": "default", "category": "placeholder", "value": 0}]}]'::jsonb,
               '{}'::jsonb
        FROM unnest($1::text[]) AS u(slug)
        ON CONFLICT DO NOTHING
        """;
}
