using AntennaIngest.Core.Planning;
using Npgsql;
using static AntennaIngest.Postgres.Writing.BatchReader;

namespace AntennaIngest.Postgres.Writing;

// Round trip 1. Every read runs after the image locks in the same batch; under READ COMMITTED
// each statement sees what the lock's previous holder committed.
public sealed partial class ResultWriter
{
    private async Task<ReadSnapshot> ReadAsync(NpgsqlConnection connection, ReadRequest read, CancellationToken cancellationToken)
    {
        var snapshot = new ReadSnapshot();
        var pipelines = new Dictionary<string, (long Id, List<AlgorithmRow> Algorithms, string Name, int Version)>(StringComparer.Ordinal);
        await using var batch = new BatchReader(connection);
        batch.Add("BEGIN");
        batch.Add(ReadSql.LockImages, _ => { }, Value(read.ImageIds));
        batch.Add(
            ReadSql.Pipelines,
            r =>
            {
                var slug = r.GetString(1);
                if (!pipelines.TryGetValue(slug, out var pipeline))
                {
                    pipelines[slug] = pipeline = (r.GetInt64(0), [], r.GetString(8), r.GetInt32(9));
                }

                if (!r.IsDBNull(2))
                {
                    pipeline.Algorithms.Add(new AlgorithmRow(r.GetInt64(2), r.GetString(3), r.GetString(4), StringOrNull(r, 5), Int64OrNull(r, 6), r.GetInt32(7)));
                }
            },
            Value(read.Slugs));
        batch.Add(
            ReadSql.Images,
            r => snapshot.Images[r.GetInt64(0)] = new ImageRow(r.GetInt64(0), Int64OrNull(r, 1), Int64OrNull(r, 2), Int64OrNull(r, 3), r.GetString(4), r.GetBoolean(5)),
            Value(read.ImageIds));
        if (read.Bboxes.Length > 0)
        {
            batch.Add(
                ReadSql.BboxMatches,
                r =>
                {
                    var n = (int)r.GetInt64(0) - 1;
                    snapshot.BboxMatches[(read.BboxImageIds[n], read.Bboxes[n])] = Detection(r, 1);
                },
                Value(read.BboxImageIds),
                Value(read.Bboxes));
        }

        batch.Add(ReadSql.NullBboxDetections, r => snapshot.NullBboxDetections.Add(Detection(r, 0)), Value(read.ImageIds));
        batch.Add(
            ReadSql.Classifications,
            r => snapshot.Classifications.Add(new ClassificationRow(
                r.GetInt64(0),
                r.GetInt64(1),
                Int64OrNull(r, 2),
                Int64OrNull(r, 3),
                Int64OrNull(r, 4),
                DoubleOrNull(r, 5),
                r.GetBoolean(6),
                r.GetDateTime(7),
                r.GetBoolean(8),
                r.GetBoolean(9),
                r.GetBoolean(10))),
            MatchedParameters(read));
        batch.Add(
            ReadSql.Occurrences,
            r => snapshot.Occurrences[r.GetInt64(0)] = new OccurrenceRow(r.GetInt64(0), Int64OrNull(r, 1), DoubleOrNull(r, 2)),
            MatchedParameters(read));
        batch.Add(ReadSql.Identifications, r => snapshot.Identifications[r.GetInt64(0)] = r.IsDBNull(1) ? null : r.GetInt64(1), MatchedParameters(read));
        if (read.Labels.Length > 0)
        {
            batch.Add(
                ReadSql.TaxaAndRanks,
                r =>
                {
                    var label = r.GetString(2);
                    if (!r.IsDBNull(3))
                    {
                        snapshot.TaxaByLabel[label] = r.GetInt64(3);
                        return;
                    }

                    if (!r.IsDBNull(4))
                    {
                        snapshot.Ranks[(r.GetString(0), r.GetInt32(1))] = r.GetString(4);
                    }

                    if (r.GetBoolean(5))
                    {
                        snapshot.InactiveNames.Add(label);
                    }

                    if (r.GetBoolean(6))
                    {
                        snapshot.TakenDisplayNames.Add(label);
                    }

                    if (r.GetBoolean(7))
                    {
                        snapshot.TakenDisplayNames.Add(label + " sp.");
                    }
                },
                Value(read.RankKeys),
                Value(read.RankIndexes),
                Value(read.RankLabels));
            batch.Add(ReadSql.TaxaLists, r => snapshot.TaxaListsByAlgorithm[r.GetInt64(0)] = r.GetInt64(1), Value(read.ClassificationKeys));
        }

        await batch.ExecuteAsync(cancellationToken);
        metrics.DbRoundTrips.Increment("write");
        foreach (var (slug, pipeline) in pipelines)
        {
            snapshot.Pipelines[slug] = new PipelineRow(pipeline.Id, slug, pipeline.Algorithms, pipeline.Name, pipeline.Version);
        }

        return snapshot;
    }

    private static DetectionRow Detection(NpgsqlDataReader r, int first) =>
        new(r.GetInt64(first), r.GetInt64(first + 1), Int64OrNull(r, first + 2), StringOrNull(r, first + 3), Int64OrNull(r, first + 4));

    private static NpgsqlParameter[] MatchedParameters(ReadRequest read) =>
        [Value(read.BboxImageIds), Value(read.Bboxes), Value(read.ImageIds)];
}
