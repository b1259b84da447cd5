using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Processing;

namespace AntennaIngest.Core.Planning;

/// <summary>What planning decided for one result of a group; becomes its <see cref="SaveOutcome"/> after the commit.</summary>
internal sealed class ResultDraft
{
    private readonly HashSet<long> _images = [];
    private readonly HashSet<string> _missing = new(StringComparer.Ordinal);

    public string? Failure { get; set; }

    public int DetectionsCreated { get; set; }

    public int DetectionsUpdated { get; set; }

    /// <summary>Antenna's "for {k} source image(s)": distinct image ids named by the detections.</summary>
    public int DetectionImages { get; set; }

    /// <summary>Detections of found images (Antenna's "for {d} detections").</summary>
    public int DetectionsKept { get; set; }

    public int ClassificationsSeen { get; set; }

    public int ClassificationsCreated { get; set; }

    public int ClassificationsUpdated { get; set; }

    public int OccurrencesCreated { get; set; }

    public int DeterminationsUpdated { get; set; }

    public int DeterminationsUnchanged { get; set; }

    public int MarkerImages { get; set; }

    public int MarkersCreated { get; set; }

    public int MarkersReused { get; set; }

    public List<long> ImageIds { get; } = [];

    public List<string> MissingImageIds { get; } = [];

    public List<PlannedTaxon> IntroducedTaxa { get; } = [];

    public List<PlannedTaxaList> IntroducedTaxaLists { get; } = [];

    public List<PlannedCategoryMap> IntroducedCategoryMaps { get; } = [];

    /// <summary>Antenna's Pipeline.__str__ of the result's pipeline.</summary>
    public string PipelineText { get; set; } = "";

    /// <summary>Names the crop request of this result (Antenna logs its create_detection_images task id).</summary>
    public Guid CropRequestId { get; } = Guid.NewGuid();

    /// <summary>Taxa whose "Registered new taxon" line this result has recorded.</summary>
    public HashSet<PlannedTaxon> AnnouncedTaxa { get; } = [];

    /// <summary>Antenna's lines in order; a null text (decided after the commit) is left out.</summary>
    private readonly List<(JobLogLevel Level, Func<string?> Text)> _antennaLines = [];

    // Lines of create_classifications, which Antenna writes after the detection pass's line.
    private readonly List<(JobLogLevel Level, Func<string?> Text)> _classificationLines = [];

    public void Log(JobLogLevel level, string text) => _antennaLines.Add((level, () => text));

    public void Log(JobLogLevel level, Func<string?> text) => _antennaLines.Add((level, text));

    public void LogClassification(JobLogLevel level, Func<string?> text) => _classificationLines.Add((level, text));

    /// <summary>Moves the classification lines recorded during the detection pass to their place.</summary>
    public void FlushClassificationLines()
    {
        _antennaLines.AddRange(_classificationLines);
        _classificationLines.Clear();
    }

    public void Found(long imageId)
    {
        if (_images.Add(imageId))
        {
            ImageIds.Add(imageId);
        }
    }

    public void Missing(string imageId)
    {
        if (_missing.Add(imageId))
        {
            MissingImageIds.Add(imageId);
        }
    }

    public SaveOutcome ToOutcome(ReadSnapshot snapshot, IReadOnlySet<long> imagesNeedingCrops, TimeSpan saveDuration, JobLogStyle style)
    {
        if (Failure is not null)
        {
            return SaveOutcome.Failure(Failure);
        }

        var events = new SortedSet<long>();
        var deployments = new SortedSet<long>();
        var crops = new List<long>();
        foreach (var id in ImageIds)
        {
            var image = snapshot.Images[id];
            if (image.EventId is { } e)
            {
                events.Add(e);
            }

            if (image.DeploymentId is { } d)
            {
                deployments.Add(d);
            }

            if (imagesNeedingCrops.Contains(id))
            {
                crops.Add(id);
            }
        }

        var created = IntroducedTaxa.Count(t => t.Created);
        return SaveOutcome.Success(new SaveSummary(
            DetectionsCreated,
            DetectionsUpdated,
            MarkersCreated,
            ClassificationsCreated,
            ClassificationsUpdated,
            OccurrencesCreated,
            DeterminationsUpdated,
            created,
            [.. ImageIds],
            [.. MissingImageIds],
            [.. events],
            [.. deployments],
            crops,
            style == JobLogStyle.Antenna ? AntennaLines(saveDuration) : LogLines(),
            CropRequestId));
    }

    private List<JobLogLine> AntennaLines(TimeSpan saveDuration)
    {
        var lines = new List<JobLogLine>(_antennaLines.Count + 1);
        foreach (var (level, text) in _antennaLines)
        {
            if (text() is { } message)
            {
                lines.Add(new(level, message));
            }
        }

        var seconds = saveDuration.TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        lines.Add(Info($"Saved results from pipeline {PipelineText} in {seconds} seconds"));
        return lines;
    }

    // A handful of lines in the wording of Antenna's job log, instead of its 16 + 4 per image.
    private List<JobLogLine> LogLines()
    {
        var lines = new List<JobLogLine>();
        foreach (var id in MissingImageIds)
        {
            lines.Add(new(JobLogLevel.Error, $"Source image {id} not found, skipping Detection creation"));
        }

        if (DetectionImages > 0)
        {
            lines.Add(Info($"Created {DetectionsCreated} new detections, updated {DetectionsUpdated} existing detections, for {DetectionImages} source image(s)"));
        }

        foreach (var map in IntroducedCategoryMaps.Where(m => m.Created))
        {
            lines.Add(new(JobLogLevel.Warning, $"Classification algorithm \"{map.AlgorithmName}\" ({map.AlgorithmKey}) had no category map: created placeholder category map #{map.Id} with {map.Labels!.Count} labels from its classification data"));
        }

        foreach (var list in IntroducedTaxaLists.Where(l => l.Created))
        {
            lines.Add(Info($"Created new taxa list #{list.Id} {list.Name}"));
        }

        foreach (var taxon in IntroducedTaxa.Where(t => t.Created))
        {
            lines.Add(Info($"Registered new taxon {taxon.NewLabel} ({taxon.Rank})"));
        }

        if (ClassificationsSeen > 0)
        {
            lines.Add(Info($"Created {ClassificationsCreated} new classifications, updated {ClassificationsUpdated} existing classifications for {DetectionsKept} detections."));
        }

        if (DetectionsKept > 0)
        {
            lines.Add(Info($"Created {OccurrencesCreated} new occurrences"));
            lines.Add(Info($"Updated the determination of {DeterminationsUpdated} occurrences, left {DeterminationsUnchanged} unchanged"));
        }

        if (MarkerImages > 0)
        {
            // Antenna's second create_detections pass, for the images without detections.
            lines.Add(Info($"Created {MarkersCreated} new detections, updated {MarkersReused} existing detections, for {MarkerImages} source image(s)"));
        }

        return lines;
    }

    private static JobLogLine Info(string message) => new(JobLogLevel.Info, message);
}
