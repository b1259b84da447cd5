using System.Globalization;
using AntennaIngest.Core.Processing;

namespace AntennaIngest.Core.Planning;

// The lines Antenna's save_results writes through job.logger, recorded while the result is
// applied. Lines naming rows created by the group (ids, whether this group created them) are
// rendered after the commit, when the allocation has filled them in.
public sealed partial class WriteDraft
{
    /// <summary>One detection of the result's first create_detections pass, in response order.</summary>
    private readonly record struct PassEntry(PlannedDetection Detection, long ImageId, bool Reused, bool OccurrenceCreated);

    private static void LogRegistered(ResultDraft draft, PipelineRow pipeline)
    {
        draft.PipelineText = pipeline.ToString();
        var keys = pipeline.Algorithms.Select(a => a.Key).Distinct(StringComparer.Ordinal);
        draft.Log(JobLogLevel.Info, "Algorithms registered for pipeline: \n" + string.Join(", ", keys));
    }

    private static void LogMissing(ResultDraft draft, string imageId) =>
        draft.Log(JobLogLevel.Error, $"Source image {imageId} not found, skipping Detection creation");

    private static void LogDetectionPass(ResultDraft draft, int created, int updated, int images) =>
        draft.Log(JobLogLevel.Info, Invariant($"Created {created} new detections, updated {updated} existing detections, for {images} source image(s)"));

    // create_category_map_for_classification, announced only when this group's insert won.
    private static void LogPlaceholderMap(ResultDraft draft, AlgorithmRow algorithm, PlannedCategoryMap map)
    {
        draft.LogClassification(JobLogLevel.Warning, () => map.Created
            ? $"Classification algorithm {algorithm} has no category map! Creating one from data in the first classification if possible."
            : null);
        var data = string.Join(", ", map.Labels!.Select((label, i) => Invariant($"{{'label': {PythonText.Repr(label)}, 'index': {i}}}")));
        draft.LogClassification(JobLogLevel.Info, () => map.Created ? $"Creating placeholder category map with data: [{data}]" : null);
    }

    private static void LogNewTaxaList(ResultDraft draft, PlannedTaxaList list) =>
        draft.LogClassification(JobLogLevel.Info, () => list.Created ? Invariant($"Created new taxa list #{list.Id} {list.Name}") : null);

    private static void LogNewTaxon(ResultDraft draft, PlannedTaxon taxon) =>
        draft.LogClassification(JobLogLevel.Info, () => taxon.Created ? $"Registered new taxon {taxon.NewLabel} ({taxon.Rank})" : null);

    // create_classification's duplicate branch: the fields of NEW_FIELDS that are NULL (terminal never is).
    private static void LogDuplicateUpdate(ResultDraft draft, PlannedClassification duplicate)
    {
        var fields = new List<string>();
        if (duplicate.LogitsNull)
        {
            fields.Add("logits");
        }

        if (duplicate.ScoresNull)
        {
            fields.Add("scores");
        }

        if (duplicate.CategoryMapNull)
        {
            fields.Add("category_map");
        }

        if (fields.Count == 0)
        {
            return;
        }

        var names = PythonText.List(fields);
        draft.LogClassification(JobLogLevel.Info, () => $"Updating fields {names} for existing classification {Describe(duplicate)}");
        draft.LogClassification(JobLogLevel.Info, () => $"Updated existing classification {Describe(duplicate)}");
    }

    /// <summary>Classification.__str__ (outside DEBUG).</summary>
    private static string Describe(PlannedClassification c) => string.Create(
        CultureInfo.InvariantCulture,
        $"#{c.Id} to Taxon #{(c.Taxon is { } t ? t.Id.ToString(CultureInfo.InvariantCulture) : "None")} ({c.Score.GetValueOrDefault():F2}) by Algorithm #{c.AlgorithmId} ({(c.Terminal ? "Terminal" : "Intermediate")})");

    // create_and_update_occurrences_for_detections over create_detections' list (reused
    // detections first, then new ones), grouped by image in order of first appearance.
    private static void LogOccurrences(ResultDraft draft, List<PassEntry> entries, Dictionary<PlannedOccurrence, bool> determined)
    {
        var ordered = entries.Where(e => e.Reused).Concat(entries.Where(e => !e.Reused));
        foreach (var image in ordered.GroupBy(e => e.ImageId))
        {
            var list = image.ToList();
            var created = list.Count(e => e.OccurrenceCreated);
            var updated = list.Count(e => determined.GetValueOrDefault(e.Detection.Occurrence!));
            draft.Log(JobLogLevel.Info, Invariant($"Determining occurrences for {list.Count} detections for source image {image.Key}"));
            draft.Log(JobLogLevel.Info, Invariant($"Created {created} new occurrences"));
            draft.Log(JobLogLevel.Info, Invariant($"Updated {created} detections with occurrences"));
            draft.Log(JobLogLevel.Info, Invariant($"Updated the determination of {updated} occurrences, left {list.Count - updated} unchanged"));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
