using System.Text.Json;
using System.Text.Json.Serialization;

namespace AntennaIngest.Workload.Setup;

/// <summary>What `setup` built: where it lives, the pipeline, and each job's images with their task reply subjects.</summary>
public sealed record Manifest(
    string Database,
    string DirectUrl,
    string PgbouncerUrl,
    string RedisUrl,
    string NatsUrl,
    string ImageBaseUrl,
    string ImagesDir,
    int SpeciesLabels,
    int AckWaitSeconds,
    PipelinePlan Pipeline,
    IReadOnlyList<JobPlan> Jobs)
{
    public int ImageCount => Jobs.Sum(j => j.Images.Count);

    public static Manifest Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllBytes(path), WorkloadJson.Default.Manifest) ?? throw new InvalidDataException($"{path}: empty manifest");

    public void Save(string path) => File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, WorkloadJson.Default.Manifest));
}

/// <summary>The benchmark pipeline: one detector and two classifiers, as the ADC global moth pipeline.</summary>
public sealed record PipelinePlan(long Id, string Slug, AlgorithmPlan Detector, AlgorithmPlan Binary, AlgorithmPlan Species);

public sealed record AlgorithmPlan(long Id, string Name, string Key);

/// <summary>One async job: its index in the manifest (which seeds its results), project and images.</summary>
public sealed record JobPlan(int Index, long Id, long ProjectId, IReadOnlyList<ImagePlan> Images);

/// <summary>A source image as the GPU worker sees its task.</summary>
public sealed record ImagePlan(int Index, long Id, int Width, int Height, string Url, string ReplySubject);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(Enqueue.Expectations))]
[JsonSerializable(typeof(Measure.ContenderResult))]
[JsonSerializable(typeof(List<Measure.ContenderResult>))]
[JsonSerializable(typeof(Verify.VerifyReport))]
[JsonSerializable(typeof(Copy.CopyResult))]
[JsonSerializable(typeof(Network.DelayProxyReport))]
public sealed partial class WorkloadJson : JsonSerializerContext;
