namespace AntennaIngest.Postgres.Counts;

/// <summary>
/// Antenna's project default filters (build_occurrence_default_filters_q) as a SQL predicate:
/// the occurrence's determination_score at least the project's threshold, its determination in
/// the include taxa (or below one, via parents_json) when there are any, and not in or below
/// the exclude taxa. Without a project nothing is filtered. A detection without an occurrence
/// fails the predicate whenever there is a project (its score is NULL).
/// </summary>
internal static class DefaultFiltersSql
{
    /// <param name="occurrence">Alias of main_occurrence (may be a NULL-extended outer join).</param>
    /// <param name="taxon">Alias of the determination's main_taxon row (outer join).</param>
    /// <param name="project">Alias of main_project (outer join; NULL = no project).</param>
    public static string Passes(string occurrence, string taxon, string project) => $"""
        ({project}.id IS NULL OR (
            {occurrence}.determination_score >= {project}.default_filters_score_threshold
            AND (NOT EXISTS (SELECT 1 FROM main_project_default_filters_include_taxa fi WHERE fi.project_id = {project}.id)
                 OR EXISTS (SELECT 1 FROM main_project_default_filters_include_taxa fi
                            WHERE fi.project_id = {project}.id
                              AND (fi.taxon_id = {occurrence}.determination_id
                                   OR {taxon}.parents_json @> jsonb_build_array(jsonb_build_object('id', fi.taxon_id)))))
            AND NOT EXISTS (SELECT 1 FROM main_project_default_filters_exclude_taxa fe
                            WHERE fe.project_id = {project}.id
                              AND (fe.taxon_id = {occurrence}.determination_id
                                   OR {taxon}.parents_json @> jsonb_build_array(jsonb_build_object('id', fe.taxon_id))))))
        """;
}
