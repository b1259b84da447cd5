using AntennaIngest.Core.Planning;
using Npgsql;
using static AntennaIngest.Postgres.Writing.BatchReader;

namespace AntennaIngest.Postgres.Writing;

// Round trip 2: rows created by name are serialized across writers by an advisory lock on the
// name, then looked up again: what another writer committed meanwhile is reused, not duplicated.
public sealed partial class ResultWriter
{
    private async Task<WriteAllocation> AllocateAsync(NpgsqlConnection connection, WriteDraft draft, CancellationToken cancellationToken)
    {
        var taxa = new List<NamedId>();
        var lists = new List<NamedId>();
        var maps = new List<NamedId>();
        long[] detections = [], classifications = [], occurrences = [];
        await using var batch = new BatchReader(connection);
        var locks = draft.NameLockKeys;
        if (locks.Count > 0)
        {
            batch.Add(AllocateSql.LockNames, _ => { }, Value(locks.ToArray()));
        }

        if (draft.NewTaxonLabels.Count > 0)
        {
            batch.Add(AllocateSql.Taxa, r => taxa.Add(new NamedId(r.GetInt64(0), r.GetBoolean(1))), Value(draft.NewTaxonLabels.ToArray()));
        }

        if (draft.NewTaxaListNames.Count > 0)
        {
            batch.Add(AllocateSql.TaxaLists, r => lists.Add(new NamedId(r.GetInt64(0), r.GetBoolean(1))), Value(draft.NewTaxaListNames.ToArray()));
        }

        if (draft.NewCategoryMapAlgorithmIds.Count > 0)
        {
            batch.Add(AllocateSql.CategoryMaps, r => maps.Add(new NamedId(r.GetInt64(0), r.GetBoolean(1))), Value(draft.NewCategoryMapAlgorithmIds.ToArray()));
        }

        if (draft.NewDetectionCount + draft.NewClassificationCount + draft.NewOccurrenceCount > 0)
        {
            batch.Add(
                AllocateSql.Ids,
                r =>
                {
                    detections = r.GetFieldValue<long[]>(0);
                    classifications = r.GetFieldValue<long[]>(1);
                    occurrences = r.GetFieldValue<long[]>(2);
                },
                Value(draft.NewDetectionCount),
                Value(draft.NewClassificationCount),
                Value(draft.NewOccurrenceCount));
        }

        await batch.ExecuteAsync(cancellationToken);
        metrics.DbRoundTrips.Increment("write");
        return new WriteAllocation(taxa, lists, maps, detections, classifications, occurrences);
    }
}
