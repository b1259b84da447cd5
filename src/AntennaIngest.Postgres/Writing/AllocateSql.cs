namespace AntennaIngest.Postgres.Writing;

/// <summary>
/// Round trip 2 (only when new rows are needed): locks for rows created by name, a re-read of
/// them under the lock (another writer may have created them since round trip 1), and nextval
/// for exactly the rows still missing and for the new detections, classifications, occurrences.
/// </summary>
internal static class AllocateSql
{
    public static readonly string LockNames = $"""
        SELECT count(pg_advisory_xact_lock({ReadSql.NameLockNamespace}, k))
        FROM (SELECT DISTINCT hashtext(u.key) AS k FROM unnest($1::text[]) AS u(key) ORDER BY 1) AS keys
        """;

    // COALESCE evaluates nextval only when no row was found.
    public const string Taxa = """
        SELECT COALESCE(f.id, nextval(pg_get_serial_sequence('main_taxon', 'id'))), f.id IS NULL
        FROM unnest($1::text[]) WITH ORDINALITY AS u(label, n)
        LEFT JOIN LATERAL (
            SELECT t.id FROM main_taxon t
            WHERE t.active AND (t.name = u.label OR t.search_names && ARRAY[u.label]::varchar[])
            ORDER BY t."ordering", t.name
            LIMIT 1) AS f ON true
        ORDER BY u.n
        """;

    public const string TaxaLists = """
        SELECT COALESCE(f.id, nextval(pg_get_serial_sequence('main_taxalist', 'id'))), f.id IS NULL
        FROM unnest($1::text[]) WITH ORDINALITY AS u(name, n)
        LEFT JOIN LATERAL (
            SELECT l.id FROM main_taxalist l
            WHERE l.name = u.name AND NOT EXISTS (SELECT 1 FROM main_taxalist_projects lp WHERE lp.taxalist_id = l.id)
            ORDER BY l.created_at, l.id
            LIMIT 1) AS f ON true
        ORDER BY u.n
        """;

    public const string CategoryMaps = """
        SELECT COALESCE(a.category_map_id, nextval(pg_get_serial_sequence('ml_algorithmcategorymap', 'id'))), a.category_map_id IS NULL
        FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, n)
        JOIN ml_algorithm a ON a.id = u.id
        ORDER BY u.n
        """;

    public const string Ids = """
        SELECT
            ARRAY(SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence('main_detection', 'id')::regclass AS seq) s, generate_series(1, $1)),
            ARRAY(SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence('main_classification', 'id')::regclass AS seq) s, generate_series(1, $2)),
            ARRAY(SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence('main_occurrence', 'id')::regclass AS seq) s, generate_series(1, $3))
        """;
}
