using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Processing;
using AntennaIngest.Postgres.Connections;
using Npgsql;

namespace AntennaIngest.Postgres.Crops;

/// <summary>Detections that need crops, and their paths once made.</summary>
public sealed class PostgresCropRepository(NpgsqlDataSource dataSource, DatabaseSettings settings, ITableChangeNotifier tableChanges) : ICropRepository
{
    private static readonly string[] s_detectionTable = ["main_detection"];

    public async ValueTask<IReadOnlyList<CropSource>> LoadAsync(IReadOnlyList<long> imageIds, CancellationToken cancellationToken) =>
        await PostgresErrors.GuardAsync<IReadOnlyList<CropSource>>(async () =>
        {
            // The crop's date is the detection timestamp's local date in TIME_ZONE, as Django reads
            // it back (USE_TZ=False); converting here means the binary needs no time zone data.
            await using var command = dataSource.CreateCommand(
                """
                SELECT si.id, si.path, si.public_base_url, si.project_id,
                       CASE WHEN ds.id IS NOT NULL AND COALESCE(ds.public_base_url, '') = '' AND ds.access_key <> '' AND ds.secret_key <> ''
                            THEN ds.bucket END, ds.access_key, ds.secret_key, ds.endpoint_url, ds.region,
                       d.id, (d.bbox->>0)::float8, (d.bbox->>1)::float8, (d.bbox->>2)::float8, (d.bbox->>3)::float8,
                       (d."timestamp" AT TIME ZONE $2)::date
                FROM main_sourceimage si
                JOIN main_detection d ON d.source_image_id = si.id
                LEFT JOIN main_deployment dep ON dep.id = si.deployment_id
                LEFT JOIN main_s3storagesource ds ON ds.id = dep.data_source_id
                WHERE si.id = ANY($1) AND d.path IS NULL AND d.bbox IS NOT NULL AND jsonb_typeof(d.bbox) = 'array'
                ORDER BY si.id, d.id
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = imageIds.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = settings.TimeZone });
            var sources = new List<CropSource>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            List<CropTarget>? targets = null;
            while (await reader.ReadAsync(cancellationToken))
            {
                var imageId = reader.GetInt64(0);
                if (sources.Count == 0 || sources[^1].ImageId != imageId)
                {
                    targets = [];
                    var s3 = reader.IsDBNull(4) ? null : new S3SourceCredentials(reader.GetString(4), reader.GetString(5), reader.GetString(6), Text(reader, 7), Text(reader, 8));
                    sources.Add(new CropSource(imageId, reader.GetString(1), Text(reader, 2), reader.IsDBNull(3) ? null : reader.GetInt64(3), s3, targets));
                }

                targets!.Add(new CropTarget(
                    reader.GetInt64(9),
                    new BoundingBox(reader.GetDouble(10), reader.GetDouble(11), reader.GetDouble(12), reader.GetDouble(13)),
                    reader.IsDBNull(14) ? null : DateOnly.FromDateTime(reader.GetDateTime(14))));
            }

            return sources;
        });

    public async ValueTask<IReadOnlyList<long>> FindImagesMissingCropsAsync(long? projectId, long afterImageId, int limit, CancellationToken cancellationToken) =>
        await PostgresErrors.GuardAsync<IReadOnlyList<long>>(async () =>
        {
            // Null markers (bbox NULL) never need a crop, so an image whose only path-less
            // detections are markers is not selected again and again (Antenna's command loops there).
            await using var command = dataSource.CreateCommand(
                """
                SELECT DISTINCT d.source_image_id FROM main_detection d
                JOIN main_sourceimage si ON si.id = d.source_image_id
                WHERE d.path IS NULL AND d.bbox IS NOT NULL AND d.source_image_id > $1
                  AND ($2::bigint IS NULL OR si.project_id = $2)
                ORDER BY 1 LIMIT $3
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = afterImageId });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)projectId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            var ids = new List<long>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
            }

            return ids;
        });

    public async ValueTask<int> SavePathsAsync(IReadOnlyList<(long DetectionId, string Path)> paths, CancellationToken cancellationToken)
    {
        if (paths.Count == 0)
        {
            return 0;
        }

        var saved = await PostgresErrors.GuardAsync(async () =>
        {
            await using var command = dataSource.CreateCommand(
                """
                UPDATE main_detection d SET path = u.path, updated_at = now()
                FROM unnest($1::bigint[], $2::text[]) AS u(id, path)
                WHERE d.id = u.id AND d.path IS NULL
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = paths.Select(p => p.DetectionId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = paths.Select(p => p.Path).ToArray() });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        });
        if (saved > 0)
        {
            await tableChanges.TablesChangedAsync(s_detectionTable, cancellationToken);
        }

        return saved;
    }

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
