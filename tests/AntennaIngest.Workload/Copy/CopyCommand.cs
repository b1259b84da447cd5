using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Cli;
using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Generation;
using AntennaIngest.Workload.Setup;
using Npgsql;
using NpgsqlTypes;

namespace AntennaIngest.Workload.Copy;

/// <summary>
/// `copy`: the ceiling. The same occurrences, detections (with null markers) and classifications
/// every contender writes for the manifest's results, sent with binary COPY through pgbouncer in
/// one transaction (ids from the tables' sequences). Rows are built before the clock starts, so
/// only the database's side is timed. No Redis, NATS, job progress or lookups: the database's limit.
/// With --streams 1,2,4,8 the rows are split into that many parts written at once on their own
/// connections and transactions; the ceiling is the best of the stream counts tried, since one
/// stream leaves the server's other cores idle.
/// </summary>
public static class CopyCommand
{
    public const string Usage = "copy --manifest FILE --out DIR [--seed 1] [--limit N] [--streams 1,2,4,8]";

    public static async Task<int> RunAsync(Options options)
    {
        var manifest = Manifest.Load(options.Required("manifest"));
        var output = options.Required("out");
        var seed = options.Number("seed", 1);
        var limit = options.Number("limit", 0);
        var streams = (options.Get("streams") ?? "1").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        options.EnsureAllRead();
        Directory.CreateDirectory(output);
        var trials = await RunAsync(manifest, new ResultSource(manifest, seed), limit, streams, CancellationToken.None);
        foreach (var trial in trials)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"copy ({trial.Streams} stream(s)): {trial.Results} results, {trial.Rows} rows, {trial.MegabytesSent:F1} MB in {trial.Seconds:F2} s = {trial.RowsPerSecond:F0} rows/s, {trial.MegabytesPerSecond:F1} MB/s, {trial.ResultsPerMinute:F0} results/min"));
        }

        var best = trials.MaxBy(t => t.RowsPerSecond)!;
        await File.WriteAllBytesAsync(Path.Combine(output, "copy.json"), JsonSerializer.SerializeToUtf8Bytes(best with { Trials = trials }, WorkloadJson.Default.CopyResult));
        return 0;
    }

    public static async Task<CopyResult> RunAsync(Manifest manifest, ResultSource source, int limit, CancellationToken cancellationToken) =>
        (await RunAsync(manifest, source, limit, [1], cancellationToken))[0];

    public static async Task<IReadOnlyList<CopyResult>> RunAsync(Manifest manifest, ResultSource source, int limit, IReadOnlyList<int> streams, CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(manifest.PgbouncerUrl));
        var images = await ImagesAsync(dataSource, cancellationToken);
        var (taxa, maps) = await LookupsAsync(dataSource, manifest.Pipeline, cancellationToken);
        var rows = BuildRows(manifest, source, limit, images, taxa, maps);

        // A first pass rolled back warms the connection, type handlers and JIT; the others are timed.
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            await CopyAsync(connection, manifest, rows, commit: false, cancellationToken);
        }

        var trials = new List<CopyResult>();
        foreach (var count in streams)
        {
            var parts = rows.Split(count);
            var connections = new NpgsqlConnection[parts.Count];
            for (var i = 0; i < parts.Count; i++)
            {
                connections[i] = await dataSource.OpenConnectionAsync(cancellationToken);
            }

            var stopwatch = Stopwatch.StartNew();
            var results = await Task.WhenAll(parts.Select((part, i) => CopyAsync(connections[i], manifest, part, commit: true, cancellationToken)));
            var seconds = stopwatch.Elapsed.TotalSeconds;
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }

            trials.Add(new CopyResult(
                results.Sum(r => r.Results), results.Sum(r => r.Occurrences), results.Sum(r => r.Detections), results.Sum(r => r.Classifications), seconds, results.Sum(r => r.MegabytesSent))
            {
                Streams = parts.Count,
            });
        }

        return trials;
    }

    private static async Task<CopyResult> CopyAsync(NpgsqlConnection connection, Manifest manifest, CopyRows rows, bool commit, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var occurrenceIds = await IdsAsync(connection, "main_occurrence", rows.Detections.Count(d => d.Real), cancellationToken);
        var detectionIds = await IdsAsync(connection, "main_detection", rows.Detections.Count, cancellationToken);
        var now = DateTime.UtcNow;
        long bytes = 0;

        await using (var copy = await connection.BeginBinaryImportAsync("COPY main_occurrence (id, created_at, updated_at, deployment_id, event_id, project_id, determination_id, determination_score) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            var o = 0;
            foreach (var detection in rows.Detections.Where(d => d.Real))
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(occurrenceIds[o++], NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(detection.Image.Deployment, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(detection.Image.Event, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(detection.Image.Project, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(detection.DeterminationTaxon, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(detection.DeterminationScore, NpgsqlDbType.Double, cancellationToken);
                bytes += 2 + (8 * 12);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await connection.BeginBinaryImportAsync("COPY main_detection (id, created_at, updated_at, bbox, \"timestamp\", path, detection_time, occurrence_id, source_image_id, detection_algorithm_id) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            var o = 0;
            for (var d = 0; d < rows.Detections.Count; d++)
            {
                var detection = rows.Detections[d];
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(detectionIds[d], NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                if (detection.Bbox is null)
                {
                    await copy.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await copy.WriteAsync(detection.Bbox, NpgsqlDbType.Jsonb, cancellationToken);
                }

                await copy.WriteAsync(detection.Image.Timestamp, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteNullAsync(cancellationToken);
                await copy.WriteAsync(detection.DetectionTime, NpgsqlDbType.TimestampTz, cancellationToken);
                if (detection.Real)
                {
                    await copy.WriteAsync(occurrenceIds[o++], NpgsqlDbType.Bigint, cancellationToken);
                }
                else
                {
                    await copy.WriteNullAsync(cancellationToken);
                }

                await copy.WriteAsync(detection.Image.Id, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(manifest.Pipeline.Detector.Id, NpgsqlDbType.Bigint, cancellationToken);
                bytes += 2 + (10 * 4) + (7 * 8) + 1 + (detection.Bbox?.Length ?? 0);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await connection.BeginBinaryImportAsync("COPY main_classification (created_at, updated_at, score, \"timestamp\", algorithm_id, detection_id, taxon_id, category_map_id, logits, scores, terminal) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var classification in rows.Classifications)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(classification.Score, NpgsqlDbType.Double, cancellationToken);
                await copy.WriteAsync(classification.Timestamp, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(classification.Algorithm, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(detectionIds[classification.Detection], NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(classification.Taxon, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(classification.CategoryMap, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(classification.Logits, NpgsqlDbType.Array | NpgsqlDbType.Double, cancellationToken);
                await copy.WriteAsync(classification.Scores, NpgsqlDbType.Array | NpgsqlDbType.Double, cancellationToken);
                await copy.WriteAsync(classification.Terminal, NpgsqlDbType.Boolean, cancellationToken);
                bytes += 2 + (11 * 4) + (8 * 8) + 1 + (2 * (20 + (classification.Scores.Length * 12)));
            }

            await copy.CompleteAsync(cancellationToken);
        }

        if (commit)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        else
        {
            await transaction.RollbackAsync(cancellationToken);
        }

        stopwatch.Stop();
        return new CopyResult(rows.Results, rows.Detections.Count(d => d.Real), rows.Detections.Count, rows.Classifications.Count, stopwatch.Elapsed.TotalSeconds, bytes / 1e6);
    }

    private static CopyRows BuildRows(Manifest manifest, ResultSource source, int limit, Dictionary<long, ImageRow> images, Dictionary<string, long> taxa, (long Binary, long Species) maps)
    {
        var rows = new CopyRows();
        foreach (var (job, image) in source.Order())
        {
            if (limit > 0 && rows.Results >= limit)
            {
                break;
            }

            rows.Results++;
            var spec = source.Spec(job, image);
            if (spec.IsError)
            {
                continue;
            }

            var row = images[image.Id];
            if (spec.Detections.Count == 0)
            {
                rows.Detections.Add(new DetectionRow(row, null, DateTime.UtcNow, false, null, null));
                continue;
            }

            foreach (var detection in spec.Detections)
            {
                var index = rows.Detections.Count;
                var binaryLabel = detection.Species is null ? Taxonomy.NonMoth : Taxonomy.Moth;
                var binaryScore = Math.Max(detection.MothScore, 1 - detection.MothScore);
                rows.Classifications.Add(new ClassificationRow(index, binaryScore, Utc(detection.BinaryTimestamp), manifest.Pipeline.Binary.Id, taxa[binaryLabel], maps.Binary, [detection.MothLogit, detection.NonMothLogit], [detection.MothScore, 1 - detection.MothScore], false));
                var (taxon, score) = (taxa[binaryLabel], binaryScore);
                if (detection.Species is { } species)
                {
                    var speciesTaxon = taxa[Taxonomy.SpeciesLabel(species.LabelIndex)];
                    var speciesScore = species.Scores[species.LabelIndex];
                    rows.Classifications.Add(new ClassificationRow(index, speciesScore, Utc(species.Timestamp), manifest.Pipeline.Species.Id, speciesTaxon, maps.Species, species.Logits, species.Scores, true));
                    (taxon, score) = (speciesTaxon, speciesScore);
                }

                var bbox = string.Create(CultureInfo.InvariantCulture, $"[{detection.X1}, {detection.Y1}, {detection.X2}, {detection.Y2}]");
                rows.Detections.Add(new DetectionRow(row, bbox, Utc(detection.Timestamp), true, taxon, score));
            }
        }

        return rows;
    }

    private static DateTime Utc(DateTime naive) => DateTime.SpecifyKind(naive, DateTimeKind.Utc);

    private static async Task<long[]> IdsAsync(NpgsqlConnection connection, string table, int count, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = count });
        var ids = new List<long>(count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt64(0));
        }

        return [.. ids];
    }

    private static async Task<Dictionary<long, ImageRow>> ImagesAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var images = new Dictionary<long, ImageRow>();
        await using var command = dataSource.CreateCommand("SELECT id, event_id, deployment_id, project_id, \"timestamp\" FROM main_sourceimage");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            images[reader.GetInt64(0)] = new ImageRow(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetFieldValue<DateTime>(4));
        }

        return images;
    }

    private static async Task<(Dictionary<string, long> Taxa, (long Binary, long Species) Maps)> LookupsAsync(NpgsqlDataSource dataSource, PipelinePlan pipeline, CancellationToken cancellationToken)
    {
        var taxa = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("SELECT name, id FROM main_taxon"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                taxa[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        await using var maps = dataSource.CreateCommand("SELECT id, category_map_id FROM ml_algorithm WHERE id = ANY($1)");
        maps.Parameters.Add(new NpgsqlParameter { Value = new[] { pipeline.Binary.Id, pipeline.Species.Id } });
        var byAlgorithm = new Dictionary<long, long>();
        await using (var reader = await maps.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                byAlgorithm[reader.GetInt64(0)] = reader.GetInt64(1);
            }
        }

        return (taxa, (byAlgorithm[pipeline.Binary.Id], byAlgorithm[pipeline.Species.Id]));
    }

    private sealed class CopyRows
    {
        public int Results { get; set; }

        public List<DetectionRow> Detections { get; } = [];

        public List<ClassificationRow> Classifications { get; } = [];

        /// <summary>Contiguous parts of about equal size; each classification stays with its detection.</summary>
        public List<CopyRows> Split(int count)
        {
            count = Math.Clamp(count, 1, Math.Max(1, Detections.Count));
            var parts = new List<CopyRows>(count);
            var byDetection = Classifications.ToLookup(c => c.Detection);
            for (var p = 0; p < count; p++)
            {
                var (from, to) = (Detections.Count * p / count, Detections.Count * (p + 1) / count);
                var part = new CopyRows { Results = (Results * (p + 1) / count) - (Results * p / count) };
                for (var d = from; d < to; d++)
                {
                    part.Detections.Add(Detections[d]);
                    foreach (var c in byDetection[d])
                    {
                        part.Classifications.Add(c with { Detection = d - from });
                    }
                }

                parts.Add(part);
            }

            return parts;
        }
    }

    private sealed record ImageRow(long Id, long Event, long Deployment, long Project, DateTime Timestamp);

    private sealed record DetectionRow(ImageRow Image, string? Bbox, DateTime DetectionTime, bool Real, long? DeterminationTaxon, double? DeterminationScore);

    private sealed record ClassificationRow(int Detection, double Score, DateTime Timestamp, long Algorithm, long Taxon, long CategoryMap, double[] Logits, double[] Scores, bool Terminal);
}
