using AntennaIngest.Workload.Generation;
using AntennaIngest.Workload.Setup;

namespace AntennaIngest.Workload.Enqueue;

/// <summary>
/// The results of a manifest in enqueue order: jobs interleaved round-robin (several GPU workers
/// serve several jobs at once), each image's result generated on demand so memory stays flat.
/// </summary>
public sealed class ResultSource(Manifest manifest, int seed, ResultTier? onlyTier = null)
{
    private readonly ResultGenerator _generator = new(seed, manifest.SpeciesLabels, onlyTier);

    public Manifest Manifest => manifest;

    public int Seed => seed;

    public IEnumerable<(JobPlan Job, ImagePlan Image)> Order()
    {
        var longest = manifest.Jobs.Max(j => j.Images.Count);
        for (var i = 0; i < longest; i++)
        {
            foreach (var job in manifest.Jobs)
            {
                if (i < job.Images.Count)
                {
                    yield return (job, job.Images[i]);
                }
            }
        }
    }

    public ResultSpec Spec(JobPlan job, ImagePlan image) => _generator.Generate(job.Index, image.Index, image.Width, image.Height);

    /// <summary>Everything that decides the bytes of an image's result JSON (see <see cref="ResultBodyCache"/>).</summary>
    public string CacheKey(JobPlan job, ImagePlan image) =>
        ResultBodyCache.Key(string.Join('|', seed, onlyTier, manifest.SpeciesLabels, manifest.Pipeline, job.Index, image.Index, image.Id, image.Width, image.Height, image.Url));

    public byte[] Json(ResultSpec spec, ImagePlan image, ResultShape shape) => ResultWriter.Write(spec, manifest.Pipeline, image, shape);

    public static ExpectedResult Expect(JobPlan job, ImagePlan image, ResultSpec spec, int bytes) =>
        new(job.Id, image.Id, image.ReplySubject, spec.IsError, spec.Detections.Count, spec.ClassificationCount, spec.MothCount, bytes);

    /// <summary>Expectations without publishing (the COPY ceiling and tests use them).</summary>
    public Expectations Expectations(string target)
    {
        var results = new List<ExpectedResult>(manifest.ImageCount);
        foreach (var (job, image) in Order())
        {
            var spec = Spec(job, image);
            results.Add(Expect(job, image, spec, Json(spec, image, ResultShape.Celery).Length));
        }

        return new Expectations(seed, target, results);
    }
}
