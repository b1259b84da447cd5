using AntennaIngest.Core.Planning;
using Npgsql;
using static AntennaIngest.Postgres.Writing.BatchReader;

namespace AntennaIngest.Postgres.Writing;

// Round trip 3: every write of the group as one multi-row statement per table, then COMMIT.
public sealed partial class ResultWriter
{
    /// <summary>Writes and commits; returns the images that still have detections without a crop, and the tables written.</summary>
    private async Task<(IReadOnlySet<long> Crops, IReadOnlyCollection<string> Tables)> WriteAndCommitAsync(NpgsqlConnection connection, WritePlan plan, CancellationToken cancellationToken)
    {
        var crops = new HashSet<long>();
        await using var batch = new BatchReader(connection);
        if (plan.Taxa.Ids.Length > 0)
        {
            var t = plan.Taxa;
            batch.Add(WriteSql.Taxa, Value(t.Ids), Value(t.Names), Value(t.Ranks), Value(t.DisplayNames));
        }

        if (plan.TaxaLists.Ids.Length > 0)
        {
            batch.Add(WriteSql.TaxaLists, Value(plan.TaxaLists.Ids), Value(plan.TaxaLists.Names));
        }

        if (plan.CategoryMaps.Ids.Length > 0)
        {
            var m = plan.CategoryMaps;
            batch.Add(WriteSql.CategoryMaps, Value(m.Ids), Value(m.Data), Value(m.Versions), Value(m.Labels), Value(m.LabelOffsets), Value(m.LabelCounts), Value(m.LabelsHashes));
            batch.Add(WriteSql.AttachCategoryMaps, Value(m.AlgorithmIds), Value(m.Ids));
        }

        if (plan.TaxaListTaxa.TaxonIds.Length > 0)
        {
            batch.Add(WriteSql.TaxaListTaxa, Value(plan.TaxaListTaxa.TaxaListIds), Value(plan.TaxaListTaxa.TaxonIds));
        }

        if (plan.Occurrences.Ids.Length > 0)
        {
            var o = plan.Occurrences;
            batch.Add(WriteSql.Occurrences, Value(o.Ids), Value(o.EventIds), Value(o.DeploymentIds), Value(o.ProjectIds), Value(o.DeterminationIds), Value(o.Scores));
        }

        if (plan.Detections.Ids.Length > 0)
        {
            var d = plan.Detections;
            batch.Add(
                WriteSql.Detections,
                Value(d.Ids),
                Value(d.ImageIds),
                Value(d.Bboxes),
                Value(d.Paths),
                Timestamps(d.DetectionTimes),
                Value(d.Zones),
                Value(d.AlgorithmIds),
                Value(d.OccurrenceIds),
                Timestamps(d.Timestamps),
                Value(plan.WallClockZone));
        }

        if (plan.DetectionUpdates.Ids.Length > 0)
        {
            var u = plan.DetectionUpdates;
            batch.Add(WriteSql.DetectionUpdates, Value(u.Ids), Value(u.OccurrenceIds), Value(u.Resaved), Value(u.Paths), Timestamps(u.Timestamps), Value(plan.WallClockZone));
        }

        if (plan.Classifications.Ids.Length > 0)
        {
            var c = plan.Classifications;
            batch.Add(
                WriteSql.Classifications,
                Value(c.Ids),
                Value(c.DetectionIds),
                Value(c.TaxonIds),
                Value(c.AlgorithmIds),
                Value(c.Scores),
                Timestamps(c.Timestamps),
                Value(c.Zones),
                Value(c.CategoryMapIds),
                Value(c.Terminal),
                Value(c.ScoreVectors.Offsets),
                Value(c.ScoreVectors.Lengths),
                Value(c.LogitVectors.Offsets),
                Value(c.LogitVectors.Lengths),
                Value(c.ScoreVectors.Flat),
                Value(c.LogitVectors.Flat));
        }

        if (plan.Backfills.Ids.Length > 0)
        {
            var b = plan.Backfills;
            batch.Add(
                WriteSql.Backfills,
                Value(b.Ids),
                Value(b.CategoryMapIds),
                Value(b.ScoreVectors.Offsets),
                Value(b.ScoreVectors.Lengths),
                Value(b.LogitVectors.Offsets),
                Value(b.ScoreVectors.Flat),
                Value(b.LogitVectors.Flat),
                Value(b.LogitVectors.Lengths));
        }

        if (plan.Determinations.Ids.Length > 0)
        {
            var d = plan.Determinations;
            batch.Add(WriteSql.Determinations, Value(d.Ids), Value(d.TaxonIds), Value(d.Scores));
        }

        if (plan.ImageIds.Length > 0)
        {
            batch.Add(WriteSql.Images, Value(plan.ImageIds), Value(plan.ChangedImageIds), Timestamps(plan.ImageTimestamps), Value(plan.WallClockZone));
        }

        if (plan.Markers.Ids.Length > 0)
        {
            batch.Add(WriteSql.Markers, Value(plan.Markers.Ids), Value(plan.Markers.ImageIds), Value(plan.Markers.AlgorithmIds), Timestamps(plan.Markers.Timestamps), Value(plan.WallClockZone));
        }

        if (plan.ImageIds.Length > 0)
        {
            batch.Add(WriteSql.ImagesNeedingCrops, r => crops.Add(r.GetInt64(0)), Value(plan.ImageIds));
        }

        batch.Add("COMMIT");
        await batch.ExecuteAsync(cancellationToken);
        metrics.DbRoundTrips.Increment("write");
        return (crops, batch.TablesWritten);
    }
}
