using System.Globalization;
using System.Text.Json.Nodes;
using AntennaIngest.Testing;
using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Setup;
using NATS.Client.Core;
using Npgsql;
using StackExchange.Redis;

namespace AntennaIngest.Workload.Verify;

/// <summary>
/// Compares what a run left in PostgreSQL, Redis and NATS with the expectations: rows per image
/// and table, no duplicate detections or classifications, each job's status and progress
/// counters, Redis pending sets empty, every task acked. The first version of the invariant
/// checker the fault-injection suite extends.
/// </summary>
public sealed class Verifier(Manifest manifest, Expectations expectations, IReadOnlySet<string>? observedAcks)
{
    private const int MaxExamples = 8;
    private readonly List<CheckResult> _checks = [];

    public async Task<VerifyReport> RunAsync(CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(ServiceEndpoints.ToConnectionString(manifest.DirectUrl));
        await CheckRowsAsync(dataSource, cancellationToken);
        await CheckDuplicatesAsync(dataSource, cancellationToken);
        await CheckJobsAsync(dataSource, cancellationToken);
        await CheckRedisAsync();
        await CheckAcksAsync(cancellationToken);
        return new VerifyReport(manifest.Database, _checks);
    }

    private void Add(string name, List<string> problems, string okDetail, string failDetail) =>
        _checks.Add(new CheckResult(name, problems.Count == 0, problems.Count == 0 ? okDetail : $"{problems.Count} {failDetail}", problems.Take(MaxExamples).ToList()));

    private async Task CheckRowsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var detections = await GroupAsync(dataSource, "SELECT source_image_id, count(*) FILTER (WHERE bbox IS NOT NULL), count(*) FILTER (WHERE bbox IS NULL), count(*) FILTER (WHERE bbox IS NOT NULL AND occurrence_id IS NULL) FROM main_detection GROUP BY 1", 3, cancellationToken);
        var classifications = await GroupAsync(dataSource, "SELECT d.source_image_id, count(*) FROM main_classification c JOIN main_detection d ON d.id = c.detection_id GROUP BY 1", 1, cancellationToken);
        var expected = expectations.Results.ToDictionary(r => r.Image);
        var detectionProblems = new List<string>();
        var markerProblems = new List<string>();
        var classificationProblems = new List<string>();
        var occurrenceProblems = new List<string>();
        foreach (var image in manifest.Jobs.SelectMany(j => j.Images))
        {
            expected.TryGetValue(image.Id, out var result);
            var wantDetections = result is { Error: false } ? result.Detections : 0;
            var wantMarkers = result is { Error: false, Detections: 0 } ? 1 : 0;
            var wantClassifications = result is { Error: false } ? result.Classifications : 0;
            var have = detections.GetValueOrDefault(image.Id, [0, 0, 0]);
            if (have[0] != wantDetections)
            {
                detectionProblems.Add($"image {image.Id}: {have[0]} detections, expected {wantDetections}");
            }

            if (have[1] != wantMarkers)
            {
                markerProblems.Add($"image {image.Id}: {have[1]} null markers, expected {wantMarkers}");
            }

            if (have[2] != 0)
            {
                occurrenceProblems.Add($"image {image.Id}: {have[2]} detections without an occurrence");
            }

            var haveClassifications = classifications.GetValueOrDefault(image.Id, [0])[0];
            if (haveClassifications != wantClassifications)
            {
                classificationProblems.Add($"image {image.Id}: {haveClassifications} classifications, expected {wantClassifications}");
            }
        }

        Add("detections per image", detectionProblems, $"{expectations.Detections} rows as expected", "images differ");
        Add("null markers per image", markerProblems, $"{expectations.NullMarkers} rows as expected", "images differ");
        Add("classifications per image", classificationProblems, $"{expectations.Classifications} rows as expected", "images differ");

        var occurrences = await ScalarAsync(dataSource, "SELECT count(*) FROM main_occurrence", cancellationToken);
        if (occurrences != expectations.Detections)
        {
            occurrenceProblems.Add($"{occurrences} occurrences in total, expected {expectations.Detections} (one per new detection)");
        }

        var markerOccurrences = await ScalarAsync(dataSource, "SELECT count(*) FROM main_detection WHERE bbox IS NULL AND occurrence_id IS NOT NULL", cancellationToken);
        if (markerOccurrences != 0)
        {
            occurrenceProblems.Add($"{markerOccurrences} null markers have an occurrence");
        }

        Add("occurrences", occurrenceProblems, $"{occurrences} rows, one per detection", "problems");
    }

    private async Task CheckDuplicatesAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var duplicates = await ScalarAsync(dataSource, "SELECT count(*) FROM (SELECT 1 FROM main_detection WHERE bbox IS NOT NULL GROUP BY source_image_id, bbox HAVING count(*) > 1) d", cancellationToken);
        if (duplicates > 0)
        {
            problems.Add($"{duplicates} (image, bbox) pairs with more than one detection");
        }

        duplicates = await ScalarAsync(dataSource, "SELECT count(*) FROM (SELECT 1 FROM main_detection WHERE bbox IS NULL GROUP BY source_image_id, detection_algorithm_id HAVING count(*) > 1) d", cancellationToken);
        if (duplicates > 0)
        {
            problems.Add($"{duplicates} (image, algorithm) pairs with more than one null marker");
        }

        duplicates = await ScalarAsync(dataSource, "SELECT count(*) FROM (SELECT 1 FROM main_classification GROUP BY detection_id, taxon_id, algorithm_id, score HAVING count(*) > 1) c", cancellationToken);
        if (duplicates > 0)
        {
            problems.Add($"{duplicates} (detection, taxon, algorithm, score) groups with more than one classification");
        }

        Add("no duplicates", problems, "detections, null markers and classifications are unique", "kinds of duplicates");
    }

    private async Task CheckJobsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var statusProblems = new List<string>();
        var processProblems = new List<string>();
        var counterProblems = new List<string>();
        foreach (var job in manifest.Jobs)
        {
            var results = expectations.Results.Where(r => r.Job == job.Id).ToList();
            await using var command = dataSource.CreateCommand("SELECT status, finished_at IS NOT NULL, progress::text FROM jobs_job WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = job.Id });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                statusProblems.Add($"job {job.Id}: row missing");
                continue;
            }

            var status = reader.GetString(0);
            var finished = reader.GetBoolean(1);
            var progress = JsonNode.Parse(reader.GetString(2))!;
            var total = job.Images.Count;
            var errors = results.Count(r => r.Error);
            var complete = results.Count == total;
            var wantStatus = !complete ? "STARTED" : (double)errors / total > 0.5 ? "FAILURE" : "SUCCESS";
            if (status != wantStatus || (complete && !finished) || (string?)progress["summary"]?["status"] != wantStatus)
            {
                statusProblems.Add($"job {job.Id}: status {status}, summary {(string?)progress["summary"]?["status"]}, finished_at {(finished ? "set" : "null")}; expected {wantStatus}{(complete ? " and finished" : string.Empty)}");
            }

            var process = Stage(progress, "process");
            var resultsStage = Stage(progress, "results");
            ExpectParam(processProblems, job.Id, process, "processed", results.Count);
            ExpectParam(processProblems, job.Id, process, "remaining", total - results.Count);
            ExpectParam(processProblems, job.Id, process, "failed", errors);
            ExpectProgress(processProblems, job.Id, process, "process", (double)results.Count / total);
            ExpectParam(counterProblems, job.Id, resultsStage, "detections", results.Where(r => !r.Error).Sum(r => r.Detections));
            ExpectParam(counterProblems, job.Id, resultsStage, "classifications", results.Where(r => !r.Error).Sum(r => r.Classifications));
            ExpectParam(counterProblems, job.Id, resultsStage, "captures", results.Count(r => !r.Error));
            ExpectProgress(counterProblems, job.Id, resultsStage, "results", (double)results.Count / total);
        }

        Add("job status", statusProblems, $"{manifest.Jobs.Count} job(s) as expected", "jobs differ");
        Add("process-stage progress", processProblems, "processed, remaining, failed and progress as expected", "values differ");
        Add("results-stage counters", counterProblems, "detections, classifications, captures and progress as expected", "values differ");
    }

    private static JsonNode? Stage(JsonNode progress, string key) =>
        progress["stages"]?.AsArray().FirstOrDefault(s => (string?)s?["key"] == key);

    private static void ExpectParam(List<string> problems, long jobId, JsonNode? stage, string key, long expected)
    {
        var param = stage?["params"]?.AsArray().FirstOrDefault(p => (string?)p?["key"] == key);
        var value = param?["value"];
        long? have = value is JsonValue v && v.TryGetValue<double>(out var d) ? (long)d : null;
        if (have != expected)
        {
            problems.Add($"job {jobId}: {key} = {value?.ToJsonString() ?? "missing"}, expected {expected}");
        }
    }

    private static void ExpectProgress(List<string> problems, long jobId, JsonNode? stage, string key, double expected)
    {
        var have = stage?["progress"]?.GetValue<double>();
        if (have is null || Math.Abs(have.Value - expected) > 1e-6)
        {
            problems.Add($"job {jobId}: stage {key} progress {have?.ToString(CultureInfo.InvariantCulture) ?? "missing"}, expected {expected.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private async Task CheckRedisAsync()
    {
        var (connection, redis) = await ServiceClients.RedisAsync(manifest.RedisUrl);
        await using (connection)
        {
            var problems = new List<string>();
            foreach (var job in manifest.Jobs)
            {
                var done = expectations.Results.Count(r => r.Job == job.Id) == job.Images.Count;
                foreach (var stage in new[] { "process", "results" })
                {
                    var left = await redis.SetLengthAsync($"job:{job.Id}:pending_images:{stage}");
                    var want = done ? 0 : job.Images.Count - expectations.Results.Count(r => r.Job == job.Id);
                    if (left != want)
                    {
                        problems.Add($"job {job.Id}: {left} ids pending in stage {stage}, expected {want}");
                    }
                }
            }

            Add("Redis pending sets", problems, "no image left pending", "sets differ");
        }
    }

    private async Task CheckAcksAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var notes = new List<string>();
        await using var nats = ServiceClients.Nats(manifest.NatsUrl, "antenna-workload-verify");
        foreach (var job in manifest.Jobs)
        {
            var tasks = new AntennaJobTasks(nats, job.Id);
            var info = await tasks.ConsumerInfoAsync();
            if (info is null)
            {
                notes.Add($"job {job.Id}: consumer deleted (job cleanup)");
                continue;
            }

            var results = expectations.Results.Count(r => r.Job == job.Id);
            var wantPending = job.Images.Count - results;
            if (info.NumAckPending != wantPending || info.NumPending != 0)
            {
                problems.Add($"job {job.Id}: consumer has {info.NumAckPending} unacked and {info.NumPending} undelivered tasks; expected {wantPending} and 0");
            }
        }

        if (observedAcks is not null)
        {
            foreach (var result in expectations.Results.Where(r => !observedAcks.Contains(r.ReplySubject)))
            {
                problems.Add($"job {result.Job} image {result.Image}: no ack observed on {result.ReplySubject}");
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var detail = observedAcks is null ? "consumers report no unacked task" : $"{expectations.Results.Count} acks observed";
        if (notes.Count > 0)
        {
            detail += "; " + string.Join("; ", notes.Take(3)) + (notes.Count > 3 ? $" (+{notes.Count - 3})" : string.Empty);
        }

        Add("tasks acked", problems, detail, "tasks not acked");
    }

    private static async Task<Dictionary<long, long[]>> GroupAsync(NpgsqlDataSource dataSource, string sql, int values, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<long, long[]>();
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var counts = new long[values];
            for (var i = 0; i < values; i++)
            {
                counts[i] = reader.GetInt64(i + 1);
            }

            rows[reader.GetInt64(0)] = counts;
        }

        return rows;
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
