namespace AntennaIngest.Postgres.Writing;

/// <summary>Round trip 1: BEGIN, the images' advisory locks, then every read (one batch).</summary>
internal static class ReadSql
{
    /// <summary>pg_advisory_xact_lock(key1, key2) namespace of source images ("ANTI").</summary>
    public const int ImageLockNamespace = 0x414E5449;

    /// <summary>Namespace of rows created by name: taxa, taxa lists, placeholder category maps ("ANTN").</summary>
    public const int NameLockNamespace = 0x414E544E;

    // Keys are taken in ascending key order (not id order): two hashes may collide, and one
    // global order keeps any two writers from waiting on each other in a cycle.
    public static readonly string LockImages = $"""
        SELECT count(pg_advisory_xact_lock({ImageLockNamespace}, k))
        FROM (SELECT DISTINCT hashint8(u.id) AS k FROM unnest($1::bigint[]) AS u(id) ORDER BY 1) AS keys
        """;

    // Algorithms in Algorithm.Meta.ordering (name, version): the order of Antenna's
    // algorithms_known, which its "Known algorithms" and "Algorithms registered" lines print.
    public const string Pipelines = """
        SELECT p.id, p.slug, a.id, a.key, a.name, a.task_type, a.category_map_id, a.version, p.name, p.version
        FROM ml_pipeline p
        LEFT JOIN ml_pipeline_algorithms pa ON pa.pipeline_id = p.id
        LEFT JOIN ml_algorithm a ON a.id = pa.algorithm_id
        WHERE p.slug = ANY($1::text[])
        ORDER BY p.id, a.name, a.version, a.id
        """;

    public const string Images = """
        SELECT si.id, si.deployment_id, si.event_id, si.project_id, COALESCE(si.path, ''), si."timestamp" IS NOT NULL
        FROM main_sourceimage si
        WHERE si.id = ANY($1::bigint[])
        """;

    // jsonb equality is numeric (10 = 10.0), as Antenna's bbox lookup; first by Detection's
    // default ordering (frame_num, timestamp) with the id as the tie-break.
    public const string BboxMatches = """
        SELECT DISTINCT ON (u.n) u.n, d.id, d.source_image_id, d.detection_algorithm_id, d.path, d.occurrence_id
        FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS u(image_id, bbox, n)
        JOIN main_detection d ON d.source_image_id = u.image_id AND d.bbox = u.bbox::jsonb
        ORDER BY u.n, d.frame_num, d."timestamp", d.id
        """;

    public const string NullBboxDetections = """
        SELECT d.id, d.source_image_id, d.detection_algorithm_id, d.path, d.occurrence_id
        FROM main_detection d
        WHERE d.source_image_id = ANY($1::bigint[]) AND d.bbox IS NULL
        ORDER BY d.source_image_id, d.frame_num, d."timestamp", d.id
        """;

    // The detections a group can reuse ($1/$2: bbox pairs, $3: images for bbox-NULL ones).
    private const string Matched = """
        WITH matched AS (
            SELECT d.id, d.occurrence_id
            FROM unnest($1::bigint[], $2::text[]) AS u(image_id, bbox)
            JOIN main_detection d ON d.source_image_id = u.image_id AND d.bbox = u.bbox::jsonb
            UNION
            SELECT d.id, d.occurrence_id FROM main_detection d WHERE d.source_image_id = ANY($3::bigint[]) AND d.bbox IS NULL
        )
        """;

    /// <summary>Classifications of the matched detections and of every detection of their occurrences (vectors only as NULL flags).</summary>
    public const string Classifications = Matched + """
        , touched AS (
            SELECT id FROM matched
            UNION
            SELECT d.id FROM main_detection d WHERE d.occurrence_id IN (SELECT occurrence_id FROM matched)
        )
        SELECT c.id, c.detection_id, d.occurrence_id, c.taxon_id, c.algorithm_id, c.score, c.terminal, c.created_at,
               c.logits IS NULL, c.scores IS NULL, c.category_map_id IS NULL
        FROM touched t
        JOIN main_classification c ON c.detection_id = t.id
        JOIN main_detection d ON d.id = c.detection_id
        """;

    public const string Occurrences = Matched + """
        SELECT o.id, o.determination_id, o.determination_score
        FROM main_occurrence o
        WHERE o.id IN (SELECT occurrence_id FROM matched)
        """;

    public const string Identifications = Matched + """
        SELECT DISTINCT ON (i.occurrence_id) i.occurrence_id, i.taxon_id
        FROM main_identification i
        WHERE i.occurrence_id IN (SELECT occurrence_id FROM matched) AND NOT i.withdrawn
        ORDER BY i.occurrence_id, i.created_at DESC, i.id DESC
        """;

    // Label → the active taxon Antenna's lookup returns (name or search_names overlap, by
    // "ordering" then name). For labels without one: the taxon_rank of the category map entry at
    // argmax(scores), whether an inactive taxon has the label as name, and whether the display
    // names a new taxon could take are used. One statement, so all of it is one snapshot: a taxon
    // another writer commits meanwhile is either found or not there at all. The map's jsonb is
    // only detoasted for labels that need a new taxon.
    public const string TaxaAndRanks = """
        WITH candidates AS MATERIALIZED (
            SELECT t.id, t.name, t.search_names, t."ordering"
            FROM main_taxon t
            WHERE t.active AND (t.name = ANY($3::text[]) OR t.search_names && $3::varchar[])
        ), best AS (
            SELECT DISTINCT ON (l.label) l.label, c.id
            FROM (SELECT DISTINCT x.label FROM unnest($3::text[]) AS x(label)) AS l
            JOIN candidates c ON c.name = l.label OR c.search_names && ARRAY[l.label]::varchar[]
            ORDER BY l.label, c."ordering", c.name
        )
        SELECT u.key, u.idx, u.label, b.id,
               CASE WHEN b.id IS NULL THEN m.data -> u.idx ->> 'taxon_rank' END,
               b.id IS NULL AND EXISTS (SELECT 1 FROM main_taxon t WHERE t.name = u.label AND NOT t.active),
               b.id IS NULL AND EXISTS (SELECT 1 FROM main_taxon t WHERE t.display_name = u.label),
               b.id IS NULL AND EXISTS (SELECT 1 FROM main_taxon t WHERE t.display_name = u.label || ' sp.')
        FROM unnest($1::text[], $2::int[], $3::text[]) AS u(key, idx, label)
        LEFT JOIN best b ON b.label = u.label
        LEFT JOIN ml_algorithm a ON a.key = u.key
        LEFT JOIN ml_algorithmcategorymap m ON m.id = a.category_map_id
        """;

    // TaxaList.get_or_create_for_project(name, project=None): lists without projects, the oldest.
    public const string TaxaLists = """
        SELECT DISTINCT ON (a.id) a.id, l.id
        FROM ml_algorithm a
        JOIN main_taxalist l ON l.name = 'Taxa returned by ' || a.name
        WHERE a.key = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM main_taxalist_projects lp WHERE lp.taxalist_id = l.id)
        ORDER BY a.id, l.created_at, l.id
        """;
}
