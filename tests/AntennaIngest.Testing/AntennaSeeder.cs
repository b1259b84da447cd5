using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace AntennaIngest.Testing;

/// <summary>
/// Inserts Antenna-shaped rows with every NOT NULL column Django would fill. Each method returns
/// the new primary key; defaults are Antenna's application defaults.
/// </summary>
public sealed class AntennaSeeder(NpgsqlDataSource dataSource)
{
    public async Task<long> ProjectAsync(string name = "Test project", double scoreThreshold = 0.5)
    {
        return await InsertAsync(
            """
            INSERT INTO main_project (created_at, updated_at, name, description, active, priority, feature_flags,
                default_filters_score_threshold, session_time_gap_seconds, draft)
            VALUES (now(), now(), $1, '', true, 1, '{"tags":false,"reprocess_existing_detections":false,"default_filters":false,"reprocess_all_images":false,"async_pipeline_workers":true}',
                $2, 7200, false) RETURNING id
            """,
            name,
            scoreThreshold);
    }

    public async Task<long> S3StorageSourceAsync(long? projectId, string bucket, string accessKey, string secretKey, string? endpointUrl, string? publicBaseUrl, string prefix = "", string? region = null)
    {
        return await InsertAsync(
            """
            INSERT INTO main_s3storagesource (created_at, updated_at, name, bucket, prefix, access_key, secret_key, endpoint_url, public_base_url, project_id, region)
            VALUES (now(), now(), $1, $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
            """,
            bucket,
            prefix,
            accessKey,
            secretKey,
            endpointUrl,
            publicBaseUrl,
            projectId,
            region);
    }

    public async Task<long> DeploymentAsync(long? projectId, string name = "Trap 1", long? dataSourceId = null)
    {
        return await InsertAsync(
            "INSERT INTO main_deployment (created_at, updated_at, name, description, project_id, data_source_id) VALUES (now(), now(), $1, '', $2, $3) RETURNING id",
            name,
            projectId,
            dataSourceId);
    }

    public async Task<long> EventAsync(long deploymentId, long? projectId, DateTimeOffset start)
    {
        return await InsertAsync(
            "INSERT INTO main_event (created_at, updated_at, group_by, start, deployment_id, project_id) VALUES (now(), now(), $1, $2, $3, $4) RETURNING id",
            start.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            start,
            deploymentId,
            projectId);
    }

    public async Task<long> SourceImageAsync(long? deploymentId, long? eventId, long? projectId, string path, DateTimeOffset? timestamp, string? publicBaseUrl = null, long? size = null)
    {
        return await InsertAsync(
            """
            INSERT INTO main_sourceimage (created_at, updated_at, path, public_base_url, "timestamp", size, deployment_id, event_id, project_id, test_image)
            VALUES (now(), now(), $1, $2, $3, $4, $5, $6, $7, false) RETURNING id
            """,
            path,
            publicBaseUrl,
            timestamp,
            size,
            deploymentId,
            eventId,
            projectId);
    }

    /// <summary>A category map whose entries carry a taxon rank, as Antenna's import writes them.</summary>
    public async Task<long> CategoryMapAsync(IReadOnlyList<string> labels, string rank = "SPECIES")
    {
        var data = new JsonArray();
        for (var i = 0; i < labels.Count; i++)
        {
            data.Add(new JsonObject { ["index"] = i, ["label"] = labels[i], ["taxon_rank"] = rank });
        }

        return await InsertAsync(
            "INSERT INTO ml_algorithmcategorymap (created_at, updated_at, data, labels, version, description, uri) VALUES (now(), now(), $1::jsonb, $2, '1', '', NULL) RETURNING id",
            data.ToJsonString(),
            labels.ToArray());
    }

    public async Task<long> AlgorithmAsync(string name, string key, string taskType, long? categoryMapId = null, int version = 1)
    {
        return await InsertAsync(
            """
            INSERT INTO ml_algorithm (created_at, updated_at, name, key, description, version, version_name, category_map_id, task_type)
            VALUES (now(), now(), $1, $2, '', $3, $3::text, $4, $5) RETURNING id
            """,
            name,
            key,
            version,
            categoryMapId,
            taskType);
    }

    public async Task<long> PipelineAsync(string slug, params long[] algorithmIds)
    {
        var id = await InsertAsync(
            """
            INSERT INTO ml_pipeline (created_at, updated_at, name, description, version, version_name, stages, slug, default_config)
            VALUES (now(), now(), $1, '', 1, '', '[]', $1, '{}') RETURNING id
            """,
            slug);
        foreach (var algorithmId in algorithmIds)
        {
            await InsertAsync("INSERT INTO ml_pipeline_algorithms (pipeline_id, algorithm_id) VALUES ($1, $2) RETURNING id", id, algorithmId);
        }

        return id;
    }

    public async Task<long> TaxonAsync(string name, string rank = "SPECIES", bool active = true, int? ordering = null, string[]? searchNames = null, long? parentId = null, string? parentsJson = null)
    {
        return await InsertAsync(
            """
            INSERT INTO main_taxon (created_at, updated_at, name, rank, active, "ordering", parent_id, display_name, author, notes, parents_json, search_names)
            VALUES (now(), now(), $1, $2, $3, $4, $5, CASE WHEN $2 = 'GENUS' THEN $1 || ' sp.' ELSE $1 END, '', '', COALESCE($6, '[]')::jsonb, $7) RETURNING id
            """,
            name,
            rank,
            active,
            ordering,
            parentId,
            parentsJson,
            searchNames ?? []);
    }

    public async Task<long> OccurrenceAsync(long? eventId, long? deploymentId, long? projectId, long? determinationId = null, double? score = null)
    {
        return await InsertAsync(
            "INSERT INTO main_occurrence (created_at, updated_at, event_id, deployment_id, project_id, determination_id, determination_score) VALUES (now(), now(), $1, $2, $3, $4, $5) RETURNING id",
            eventId,
            deploymentId,
            projectId,
            determinationId,
            score);
    }

    public async Task<long> IdentificationAsync(long occurrenceId, long? taxonId, bool withdrawn = false, DateTimeOffset? createdAt = null)
    {
        return await InsertAsync(
            "INSERT INTO main_identification (created_at, updated_at, occurrence_id, taxon_id, withdrawn, comment) VALUES (COALESCE($4, now()), now(), $1, $2, $3, '') RETURNING id",
            occurrenceId,
            taxonId,
            withdrawn,
            createdAt);
    }

    public async Task IncludeTaxonAsync(long projectId, long taxonId) =>
        await InsertAsync("INSERT INTO main_project_default_filters_include_taxa (project_id, taxon_id) VALUES ($1, $2) RETURNING id", projectId, taxonId);

    public async Task ExcludeTaxonAsync(long projectId, long taxonId) =>
        await InsertAsync("INSERT INTO main_project_default_filters_exclude_taxa (project_id, taxon_id) VALUES ($1, $2) RETURNING id", projectId, taxonId);

    /// <summary>
    /// An ML job as Antenna's MLJob.run leaves it before results arrive: STARTED, started_at set,
    /// collect stage at SUCCESS with the image count, process and results stages created.
    /// </summary>
    public async Task<long> JobAsync(long projectId, long? pipelineId, int totalImages, string status = "STARTED", string dispatchMode = "async_api")
    {
        return await InsertAsync(
            """
            INSERT INTO jobs_job (created_at, updated_at, name, queue, started_at, status, progress, project_id, pipeline_id,
                delay, shuffle, job_type_key, logs, dispatch_mode)
            VALUES (now(), now(), 'Test ML job', 'default', now(), $1, $2::jsonb, $3, $4, 0, true, 'ml', '{"stdout":[],"stderr":[]}', $5)
            RETURNING id
            """,
            status,
            InitialProgress(status, totalImages).ToJsonString(),
            projectId,
            pipelineId,
            dispatchMode);
    }

    public static JsonObject InitialProgress(string status, int totalImages)
    {
        static JsonObject Param(string name, string key, JsonNode? value) =>
            new() { ["name"] = name, ["key"] = key, ["category"] = "default", ["value"] = value };

        return new JsonObject
        {
            ["summary"] = new JsonObject { ["status"] = status, ["progress"] = 1.0 / 3.0 },
            ["stages"] = new JsonArray
            {
                new JsonObject
                {
                    ["key"] = "collect", ["name"] = "Collect", ["status"] = "SUCCESS", ["progress"] = 1.0,
                    ["params"] = new JsonArray { Param("Total Images", "total_images", totalImages) },
                },
                new JsonObject
                {
                    ["key"] = "process", ["name"] = "Process", ["status"] = "CREATED", ["progress"] = 0.0,
                    ["params"] = new JsonArray { Param("Processed", "processed", string.Empty), Param("Remaining", "remaining", string.Empty), Param("Failed", "failed", string.Empty) },
                },
                new JsonObject
                {
                    ["key"] = "results", ["name"] = "Results", ["status"] = "CREATED", ["progress"] = 0.0,
                    ["params"] = new JsonArray { Param("Captures", "captures", string.Empty), Param("Detections", "detections", string.Empty), Param("Classifications", "classifications", string.Empty) },
                },
            },
            ["errors"] = new JsonArray(),
            ["logs"] = new JsonArray(),
        };
    }

    /// <summary>A detection as Antenna's create_detections leaves it (bbox as jsonb text, NULL for a null marker).</summary>
    public async Task<long> DetectionAsync(long sourceImageId, long? algorithmId, string? bboxJson, long? occurrenceId = null, string? path = null, DateTimeOffset? timestamp = null, DateTimeOffset? detectionTime = null)
    {
        return await InsertAsync(
            """
            INSERT INTO main_detection (created_at, updated_at, bbox, "timestamp", path, detection_time, occurrence_id, source_image_id, detection_algorithm_id)
            VALUES (now(), now(), $1::jsonb, $2, $3, $4, $5, $6, $7) RETURNING id
            """,
            bboxJson,
            timestamp,
            path,
            detectionTime,
            occurrenceId,
            sourceImageId,
            algorithmId);
    }

    public async Task<long> ClassificationAsync(long detectionId, long? taxonId, long algorithmId, double score, bool terminal = true, double[]? scores = null, double[]? logits = null, long? categoryMapId = null, DateTimeOffset? timestamp = null)
    {
        return await InsertAsync(
            """
            INSERT INTO main_classification (created_at, updated_at, score, "timestamp", algorithm_id, detection_id, taxon_id, category_map_id, logits, scores, terminal)
            VALUES (now(), now(), $1, COALESCE($2, now()), $3, $4, $5, $6, $7, $8, $9) RETURNING id
            """,
            score,
            timestamp,
            algorithmId,
            detectionId,
            taxonId,
            categoryMapId,
            logits,
            scores,
            terminal);
    }

    /// <summary>A taxa list; global when <paramref name="projectId"/> is null.</summary>
    public async Task<long> TaxaListAsync(string name, long? projectId = null, DateTimeOffset? createdAt = null)
    {
        var id = await InsertAsync(
            "INSERT INTO main_taxalist (created_at, updated_at, name, description) VALUES (COALESCE($2, now()), now(), $1, '') RETURNING id",
            name,
            createdAt);
        if (projectId is { } project)
        {
            await InsertAsync("INSERT INTO main_taxalist_projects (taxalist_id, project_id) VALUES ($1, $2) RETURNING id", id, project);
        }

        return id;
    }

    private async Task<long> InsertAsync(string sql, params object?[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter switch
            {
                null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Unknown },
                _ => new NpgsqlParameter { Value = parameter },
            });
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }
}
