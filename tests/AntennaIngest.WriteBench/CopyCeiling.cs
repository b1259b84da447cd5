using System.Diagnostics;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Planning;
using Npgsql;
using NpgsqlTypes;

namespace AntennaIngest.WriteBench;

/// <summary>
/// The ceiling: the same rows (occurrences with their determination, detections, both
/// classifications, markers) written with binary COPY — no reads, no locks, no dedupe — in
/// chunks of 64 results per transaction over <c>streams</c> connections.
/// </summary>
internal static class CopyCeiling
{
    private static readonly DateTime ClassifiedAt = new(2024, 6, 1, 16, 0, 0, DateTimeKind.Utc);

    public static async Task<(TimeSpan Elapsed, CpuMeter Cpu)> RunAsync(BenchWorld world, string connectionString, IReadOnlyList<PipelineResultsResponse> results, int streams)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var connections = new NpgsqlConnection[streams];
        for (var i = 0; i < streams; i++)
        {
            connections[i] = await dataSource.OpenConnectionAsync();
        }

        var chunks = results.Chunk(64).ToList();
        var next = -1;
        var cpu = CpuMeter.Now();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(connections.Select(async connection =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < chunks.Count)
            {
                await CopyChunkAsync(connection, world, chunks[index]);
            }
        }));
        var elapsed = clock.Elapsed;
        var used = CpuMeter.Now() - cpu;
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }

        return (elapsed, used);
    }

    private static async Task CopyChunkAsync(NpgsqlConnection connection, BenchWorld world, PipelineResultsResponse[] chunk)
    {
        var detections = chunk.Sum(r => r.Detections.Count);
        var markers = chunk.Count(r => r.Detections.Count == 0);
        await using var transaction = await connection.BeginTransactionAsync();
        long[] detectionIds, classificationIds, occurrenceIds;
        await using (var ids = new NpgsqlCommand(
            """
            SELECT ARRAY(SELECT nextval(pg_get_serial_sequence('main_detection', 'id')) FROM generate_series(1, $1)),
                   ARRAY(SELECT nextval(pg_get_serial_sequence('main_classification', 'id')) FROM generate_series(1, $2)),
                   ARRAY(SELECT nextval(pg_get_serial_sequence('main_occurrence', 'id')) FROM generate_series(1, $3))
            """,
            connection,
            transaction))
        {
            ids.Parameters.Add(new NpgsqlParameter<int> { TypedValue = detections + markers });
            ids.Parameters.Add(new NpgsqlParameter<int> { TypedValue = detections * 2 });
            ids.Parameters.Add(new NpgsqlParameter<int> { TypedValue = detections });
            await using var reader = await ids.ExecuteReaderAsync();
            await reader.ReadAsync();
            detectionIds = reader.GetFieldValue<long[]>(0);
            classificationIds = reader.GetFieldValue<long[]>(1);
            occurrenceIds = reader.GetFieldValue<long[]>(2);
        }

        var now = DateTime.UtcNow;
        await using (var occurrences = await connection.BeginBinaryImportAsync(
            "COPY main_occurrence (id, created_at, updated_at, event_id, deployment_id, project_id, determination_id, determination_score) FROM STDIN (FORMAT BINARY)"))
        {
            var o = 0;
            foreach (var detection in chunk.SelectMany(r => r.Detections))
            {
                var species = detection.Classifications[1];
                await occurrences.StartRowAsync();
                await occurrences.WriteAsync(occurrenceIds[o++], NpgsqlDbType.Bigint);
                await occurrences.WriteAsync(now, NpgsqlDbType.TimestampTz);
                await occurrences.WriteAsync(now, NpgsqlDbType.TimestampTz);
                await occurrences.WriteAsync(world.Event, NpgsqlDbType.Bigint);
                await occurrences.WriteAsync(world.Deployment, NpgsqlDbType.Bigint);
                await occurrences.WriteAsync(world.Project, NpgsqlDbType.Bigint);
                await occurrences.WriteAsync(world.Taxa[species.Classification], NpgsqlDbType.Bigint);
                await occurrences.WriteAsync(species.Scores.Max(), NpgsqlDbType.Double);
            }

            await occurrences.CompleteAsync();
        }

        await using (var rows = await connection.BeginBinaryImportAsync(
            """COPY main_detection (id, created_at, updated_at, bbox, "timestamp", path, detection_time, occurrence_id, source_image_id, detection_algorithm_id) FROM STDIN (FORMAT BINARY)"""))
        {
            int d = 0, o = 0;
            foreach (var result in chunk)
            {
                var image = long.Parse(result.SourceImages[0].Id, System.Globalization.CultureInfo.InvariantCulture);
                foreach (var detection in result.Detections)
                {
                    await WriteDetectionAsync(rows, detectionIds[d++], now, BboxJson.Format(detection.Bbox!.Value), occurrenceIds[o++], image, world.Detector);
                }

                if (result.Detections.Count == 0)
                {
                    await WriteDetectionAsync(rows, detectionIds[d++], now, null, null, image, world.Detector);
                }
            }

            await rows.CompleteAsync();
        }

        await using (var classifications = await connection.BeginBinaryImportAsync(
            """COPY main_classification (id, created_at, updated_at, score, "timestamp", algorithm_id, detection_id, taxon_id, category_map_id, logits, scores, terminal) FROM STDIN (FORMAT BINARY)"""))
        {
            int c = 0, d = 0;
            foreach (var result in chunk)
            {
                foreach (var detection in result.Detections)
                {
                    var detectionId = detectionIds[d++];
                    foreach (var classification in detection.Classifications)
                    {
                        var binary = classification.Algorithm.Key == "bench-binary";
                        await classifications.StartRowAsync();
                        await classifications.WriteAsync(classificationIds[c++], NpgsqlDbType.Bigint);
                        await classifications.WriteAsync(now, NpgsqlDbType.TimestampTz);
                        await classifications.WriteAsync(now, NpgsqlDbType.TimestampTz);
                        await classifications.WriteAsync(classification.Scores.Max(), NpgsqlDbType.Double);
                        await classifications.WriteAsync(ClassifiedAt, NpgsqlDbType.TimestampTz);
                        await classifications.WriteAsync(binary ? world.Binary : world.Species, NpgsqlDbType.Bigint);
                        await classifications.WriteAsync(detectionId, NpgsqlDbType.Bigint);
                        await classifications.WriteAsync(world.Taxa[classification.Classification], NpgsqlDbType.Bigint);
                        await classifications.WriteAsync(binary ? world.BinaryMap : world.SpeciesMap, NpgsqlDbType.Bigint);
                        if (classification.Logits is { } logits)
                        {
                            await classifications.WriteAsync(logits, NpgsqlDbType.Array | NpgsqlDbType.Double);
                        }
                        else
                        {
                            await classifications.WriteNullAsync();
                        }

                        await classifications.WriteAsync(classification.Scores, NpgsqlDbType.Array | NpgsqlDbType.Double);
                        await classifications.WriteAsync(classification.Terminal, NpgsqlDbType.Boolean);
                    }
                }

                if (result.Detections.Count == 0)
                {
                    d++;
                }
            }

            await classifications.CompleteAsync();
        }

        await transaction.CommitAsync();
    }

    private static async Task WriteDetectionAsync(NpgsqlBinaryImporter rows, long id, DateTime now, string? bbox, long? occurrence, long image, long algorithm)
    {
        await rows.StartRowAsync();
        await rows.WriteAsync(id, NpgsqlDbType.Bigint);
        await rows.WriteAsync(now, NpgsqlDbType.TimestampTz);
        await rows.WriteAsync(now, NpgsqlDbType.TimestampTz);
        if (bbox is null)
        {
            await rows.WriteNullAsync();
        }
        else
        {
            await rows.WriteAsync(bbox, NpgsqlDbType.Jsonb);
        }

        await rows.WriteAsync(BenchWorld.ImageTime, NpgsqlDbType.TimestampTz);
        await rows.WriteNullAsync();
        await rows.WriteAsync(now, NpgsqlDbType.TimestampTz);
        if (occurrence is { } o)
        {
            await rows.WriteAsync(o, NpgsqlDbType.Bigint);
        }
        else
        {
            await rows.WriteNullAsync();
        }

        await rows.WriteAsync(image, NpgsqlDbType.Bigint);
        await rows.WriteAsync(algorithm, NpgsqlDbType.Bigint);
    }
}
