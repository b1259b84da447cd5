using AntennaIngest.Workload.Setup;

namespace AntennaIngest.UnitTests.Workload;

/// <summary>Manifests built in memory (no services) for the generator's tests.</summary>
internal static class WorkloadManifests
{
    public static Manifest Create(int jobs, int imagesPerJob, int speciesLabels = 3000)
    {
        var pipeline = new PipelinePlan(
            1,
            "bench_moths_2024",
            new AlgorithmPlan(1, "Moth detector (benchmark)", "bench_moth_detector"),
            new AlgorithmPlan(2, "Moth / non-moth classifier (benchmark)", "bench_moth_binary"),
            new AlgorithmPlan(3, "Species classifier (benchmark)", "bench_species"));
        var plans = new List<JobPlan>();
        var imageId = 1000L;
        for (var j = 0; j < jobs; j++)
        {
            var images = new List<ImagePlan>();
            for (var i = 0; i < imagesPerJob; i++)
            {
                var (width, height) = ImagePool.Sizes[(i + j) % ImagePool.Sizes.Length];
                images.Add(new ImagePlan(i, imageId, width, height, $"http://127.0.0.1:1/trap-1/img-{imageId}_p0.jpg", $"$JS.ACK.job_{j}.job-{j}-consumer.1.{i + 1}.{i + 1}.1.0"));
                imageId++;
            }

            plans.Add(new JobPlan(j, 900_000 + j, 1, images));
        }

        return new Manifest("db", "postgres://x@127.0.0.1/db", "postgres://x@127.0.0.1/db", "redis://127.0.0.1/0", "nats://127.0.0.1", "http://127.0.0.1:1/", "/tmp", speciesLabels, 7200, pipeline, plans);
    }
}
