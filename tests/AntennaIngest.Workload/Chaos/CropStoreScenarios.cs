using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using AntennaIngest.Workload.Network;
using Npgsql;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// The crop store failing while results arrive: crops pause with a clear log line and resume on
/// their own when the store is back; acks never wait for crops, and no crop is lost or left
/// half-written.
/// </summary>
public static class CropStoreScenarios
{
    private static readonly TimeSpan s_cropsDone = TimeSpan.FromSeconds(150);

    private static readonly byte[] s_slowDown = Encoding.ASCII.GetBytes(
        "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: 96\r\nConnection: close\r\n\r\n"
        + "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>\n".PadRight(96));

    /// <summary>
    /// MEDIA_ROOT on a 256 KiB tmpfs: it fills with the first crops; every result must still be
    /// acked, the crops pause ("no space left"), and once the filesystem is grown they finish,
    /// each detection with one whole file and no file without a detection.
    /// </summary>
    public static async Task<ScenarioResult> DiskFullAsync(ChaosSettings settings)
    {
        await using var world = await ChaosWorld.CreateAsync(settings, "disk-full", settings.Images);
        var media = Path.Combine(world.Directory, "media");
        Directory.CreateDirectory(media);
        if (await RunAsync("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", media) is { Length: > 0 } refused)
        {
            return Scenarios.Result(world.Name, 0, await world.TallyAsync(), null, false, $"could not mount a small tmpfs for MEDIA_ROOT (needs root): {refused}");
        }

        try
        {
            world.StartBinary(new() { ["INGEST_CROPS"] = "true", ["MEDIA_ROOT"] = media });
            await world.EnqueueAsync();
            var acked = await ChaosWorld.WaitAsync(() => world.AllAcked, TimeSpan.FromSeconds(120));
            var paused = await ChaosWorld.WaitAsync(async () => (await world.LogTextAsync()).Contains("crops paused: crop-storage unavailable", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            await using var database = world.DirectDatabase();
            var pendingWhileFull = await Scenarios.CropsPendingAsync(database);
            var grown = await RunAsync("mount", "-o", "remount,size=256m", media);
            var resumedAfter = Stopwatch.StartNew();
            var cropped = await ChaosWorld.WaitAsync(async () => await Scenarios.CropsPendingAsync(database) == 0, s_cropsDone);
            var seconds = resumedAfter.Elapsed.TotalSeconds;
            var log = await world.LogTextAsync();
            var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
            var (filesOk, filesNote) = await ScaleOutScenarios.CropFilesAsync(world, database, kills: 0);
            var jobLogErrors = await Scenarios.JobLogErrorsAsync(world);
            var tally = await world.TallyAsync();
            var noSpace = log.Contains("no space left", StringComparison.Ordinal);
            var ok = acked && paused && noSpace && pendingWhileFull > 0 && grown.Length == 0 && cropped && log.Contains("crops resumed", StringComparison.Ordinal) && filesOk && jobLogErrors == 0 && exit == 0;
            return Scenarios.Result(
                world.Name,
                1,
                tally,
                cropped ? seconds : null,
                ok,
                string.Create(CultureInfo.InvariantCulture, $"MEDIA_ROOT on a 256 KiB tmpfs: every result acked while crops were paused: {acked}; pause logged with \"no space left\": {paused && noSpace}; {pendingWhileFull} detections waiting when it was grown to 256 MiB{(grown.Length > 0 ? $" (remount failed: {grown})" : string.Empty)}; all cropped {seconds:F1} s later: {cropped}; {filesNote}; {jobLogErrors} job log errors"));
        }
        finally
        {
            await RunAsync("umount", "-l", media);
        }
    }

    /// <summary>
    /// Crops stored in an S3 bucket behind a fault proxy that answers 503 SlowDown, then answers
    /// slowly, then resets every connection and drops the link, a while each, as results arrive.
    /// Crops retry with backoff and every detection's crop ends up in the bucket; acks never wait.
    /// </summary>
    public static async Task<ScenarioResult> S3FaultsAsync(ChaosSettings settings)
    {
        var endpoint = Environment.GetEnvironmentVariable("INGEST_S3_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:54568";
        var bucket = $"chaos-{Guid.NewGuid():N}"[..24];
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED });
        await s3.PutBucketAsync(bucket);
        var target = new Uri(endpoint);
        await using var link = new FaultProxy(target.Host, target.Port);
        await using var world = await ChaosWorld.CreateAsync(settings, "s3-faults", settings.Images);
        world.StartBinary(new()
        {
            ["INGEST_CROPS"] = "true",
            ["INGEST_CROP_STORAGE"] = "s3",
            ["DJANGO_AWS_ACCESS_KEY_ID"] = "S3RVER",
            ["DJANGO_AWS_SECRET_ACCESS_KEY"] = "S3RVER",
            ["DJANGO_AWS_STORAGE_BUCKET_NAME"] = bucket,
            ["DJANGO_AWS_S3_ENDPOINT_URL"] = $"http://127.0.0.1:{link.Port}",
        });

        var fault = TimeSpan.FromSeconds(settings.Quick ? 5 : 10);
        var enqueue = world.EnqueueAsync(rate: settings.Images / (fault.TotalSeconds * 4));
        await using var database = world.DirectDatabase();
        await ChaosWorld.WaitAsync(async () => await CroppedAsync(database) > 0, TimeSpan.FromSeconds(60));
        link.Answer(s_slowDown);
        var dropped = link.Reset();
        await Task.Delay(fault);
        link.Answer(null);
        link.Slow(TimeSpan.FromSeconds(3));
        await Task.Delay(fault);
        link.Slow(TimeSpan.Zero);
        dropped += link.Reset();
        link.Blackhole();
        await Task.Delay(fault);
        link.Restore();
        var back = Stopwatch.StartNew();
        await enqueue;
        var acked = await ChaosWorld.WaitAsync(() => world.AllAcked, TimeSpan.FromSeconds(120));
        var cropped = await ChaosWorld.WaitAsync(async () => await Scenarios.CropsPendingAsync(database) == 0, s_cropsDone);
        var seconds = back.Elapsed.TotalSeconds;
        var log = await world.LogTextAsync();
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var waits = world.SecondsEnqueueToAck();
        var longest = waits.Count > 0 ? waits.Max() : double.NaN;
        var (missing, objects) = await ObjectsMissingAsync(s3, bucket, database);
        var jobLogErrors = await Scenarios.JobLogErrorsAsync(world);
        var tally = await world.TallyAsync();
        var paused = log.Contains("crops paused: crop-storage unavailable", StringComparison.Ordinal);
        var ok = acked && cropped && paused && missing == 0 && jobLogErrors == 0 && exit == 0;
        return Scenarios.Result(
            world.Name,
            1,
            tally,
            cropped ? seconds : null,
            ok,
            string.Create(CultureInfo.InvariantCulture, $"S3 behind a fault proxy: 503 SlowDown, then 3 s per answer, then {dropped} connections reset and the link dropped, {fault.TotalSeconds:F0} s each; crops paused and retried: {paused}; all cropped {seconds:F1} s after the link was back: {cropped}; {objects} crops, {missing} without their object in the bucket; longest enqueue → ack {longest:F1} s; {jobLogErrors} job log errors"));
    }

    private static async Task<long> CroppedAsync(NpgsqlDataSource database)
    {
        await using var command = database.CreateCommand("SELECT count(*) FROM main_detection WHERE path IS NOT NULL");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    // Every path a detection names is an object under the store's location ("uploads/", INGEST_S3_LOCATION's default).
    private static async Task<(int Missing, int Objects)> ObjectsMissingAsync(AmazonS3Client s3, string bucket, NpgsqlDataSource database)
    {
        var paths = new List<string>();
        await using (var command = database.CreateCommand("SELECT path FROM main_detection WHERE bbox IS NOT NULL AND path IS NOT NULL"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                paths.Add(reader.GetString(0));
            }
        }

        var missing = 0;
        foreach (var path in paths)
        {
            try
            {
                await s3.GetObjectMetadataAsync(bucket, "uploads/" + path);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                missing++;
            }
        }

        return (missing, paths.Count);
    }

    // Runs a command; its error output when it fails, empty when it succeeds.
    private static async Task<string> RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? string.Empty : $"{file} exited with {process.ExitCode}: {error.Trim()}";
    }
}
