using System.Text.Json;
using AntennaIngest.Workload.Enqueue;
using AntennaIngest.Workload.Generation;

namespace AntennaIngest.UnitTests.Workload;

public sealed class ResultGeneratorTests
{
    [Fact]
    public void Same_seed_gives_the_same_bytes_in_both_shapes()
    {
        var manifest = WorkloadManifests.Create(jobs: 2, imagesPerJob: 40);
        var first = new ResultSource(manifest, seed: 7);
        var second = new ResultSource(manifest, seed: 7);
        foreach (var (job, image) in first.Order())
        {
            foreach (var shape in new[] { ResultShape.Celery, ResultShape.Adc })
            {
                Assert.Equal(first.Json(first.Spec(job, image), image, shape), second.Json(second.Spec(job, image), image, shape));
            }
        }
    }

    [Fact]
    public void Results_do_not_depend_on_the_order_they_are_drawn_in()
    {
        var manifest = WorkloadManifests.Create(jobs: 1, imagesPerJob: 10);
        var source = new ResultSource(manifest, seed: 3);
        var job = manifest.Jobs[0];
        var forward = job.Images.Select(i => source.Json(source.Spec(job, i), i, ResultShape.Celery)).ToList();
        var backward = job.Images.Reverse().Select(i => source.Json(source.Spec(job, i), i, ResultShape.Celery)).Reverse().ToList();
        Assert.Equal(forward, backward);
    }

    [Fact]
    public void Another_seed_gives_other_results()
    {
        var manifest = WorkloadManifests.Create(jobs: 1, imagesPerJob: 20);
        var a = new ResultSource(manifest, seed: 1);
        var b = new ResultSource(manifest, seed: 2);
        var job = manifest.Jobs[0];
        var differing = job.Images.Count(i => !a.Json(a.Spec(job, i), i, ResultShape.Celery).SequenceEqual(b.Json(b.Spec(job, i), i, ResultShape.Celery)));
        Assert.True(differing >= 18, $"only {differing} of 20 results differ between seeds");
    }

    [Fact]
    public void Payload_sizes_follow_the_measured_mix()
    {
        // Antenna measured median ~5 KB, mean ~190 KB, max ~2.1 MB; ~2 % error results; 0-30 detections.
        var manifest = WorkloadManifests.Create(jobs: 3, imagesPerJob: 500);
        var expectations = new ResultSource(manifest, seed: 1).Expectations("celery");
        var sizes = expectations.Results.Select(r => (double)r.Bytes).Order().ToArray();
        var median = sizes[sizes.Length / 2];
        var mean = sizes.Average();
        var max = sizes[^1];
        var errorShare = (double)expectations.Errors / expectations.Results.Count;
        Assert.InRange(median, 2_000, 10_000);
        Assert.InRange(mean, 130_000, 260_000);
        Assert.InRange(max, 1_500_000, 2_300_000);
        Assert.InRange(errorShare, 0.005, 0.04);
        Assert.All(expectations.Results, r => Assert.InRange(r.Detections, 0, 30));
        Assert.Contains(expectations.Results, r => r.Detections == 0 && !r.Error);
        Assert.Contains(expectations.Results, r => r.Detections >= 20);
        Assert.InRange(sizes.Count(s => s < 1024) / (double)sizes.Length, 0.05, 0.2);
        Assert.InRange(sizes.Count(s => s > 1_000_000) / (double)sizes.Length, 0.03, 0.12);
    }

    [Fact]
    public void Celery_shape_is_normalised_with_kombu_datetimes_and_full_vectors()
    {
        var manifest = WorkloadManifests.Create(jobs: 1, imagesPerJob: 200);
        var source = new ResultSource(manifest, seed: 5);
        var job = manifest.Jobs[0];
        var (image, spec) = job.Images.Select(i => (i, source.Spec(job, i))).First(x => x.Item2.MothCount > 0);
        using var celery = JsonDocument.Parse(source.Json(spec, image, ResultShape.Celery));
        using var adc = JsonDocument.Parse(source.Json(spec, image, ResultShape.Adc));

        var detection = celery.RootElement.GetProperty("detections")[0];
        Assert.Equal("datetime", detection.GetProperty("timestamp").GetProperty("__type__").GetString());
        Assert.Equal(JsonValueKind.Null, detection.GetProperty("crop_image_url").ValueKind);
        Assert.Equal(image.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), detection.GetProperty("source_image_id").GetString());
        Assert.Equal(JsonValueKind.String, adc.RootElement.GetProperty("detections")[0].GetProperty("timestamp").ValueKind);

        var species = celery.RootElement.GetProperty("detections").EnumerateArray()
            .SelectMany(d => d.GetProperty("classifications").EnumerateArray())
            .First(c => c.GetProperty("terminal").GetBoolean());
        Assert.Equal(3000, species.GetProperty("scores").GetArrayLength());
        Assert.Equal(3000, species.GetProperty("logits").GetArrayLength());
        var scores = species.GetProperty("scores").EnumerateArray().Select(s => s.GetDouble()).ToList();
        Assert.Equal(species.GetProperty("classification").GetString(), Taxonomy.SpeciesLabel(scores.IndexOf(scores.Max())));
        Assert.InRange(scores.Sum(), 0.999, 1.001);
    }

    [Fact]
    public void Boxes_lie_inside_their_image_and_are_distinct()
    {
        var manifest = WorkloadManifests.Create(jobs: 1, imagesPerJob: 300);
        var source = new ResultSource(manifest, seed: 9);
        var job = manifest.Jobs[0];
        foreach (var image in job.Images)
        {
            var spec = source.Spec(job, image);
            Assert.Equal(spec.Detections.Count, spec.Detections.Select(d => (d.X1, d.Y1, d.X2, d.Y2)).Distinct().Count());
            Assert.All(spec.Detections, d =>
            {
                Assert.InRange(d.X1, 0, d.X2 - 1);
                Assert.InRange(d.Y1, 0, d.Y2 - 1);
                Assert.InRange(d.X2, d.X1 + 1, image.Width);
                Assert.InRange(d.Y2, d.Y1 + 1, image.Height);
            });
        }
    }

    [Fact]
    public void Species_labels_are_unique()
    {
        var labels = Taxonomy.SpeciesLabels(3000);
        Assert.Equal(3000, labels.Distinct(StringComparer.Ordinal).Count());
        Assert.DoesNotContain(Taxonomy.Moth, labels);
        Assert.Equal(labels[17], Taxonomy.SpeciesLabel(17));
    }

    [Fact]
    public void Task_ids_are_reproducible_uuid_shaped_strings()
    {
        Assert.Equal(Enqueuer.TaskId(1, 2), Enqueuer.TaskId(1, 2));
        Assert.NotEqual(Enqueuer.TaskId(1, 2), Enqueuer.TaskId(2, 1));
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$", Enqueuer.TaskId(3, 999));
    }
}
