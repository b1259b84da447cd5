using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Planning;

// Everything that makes a result unsavable is found before any of it is applied, so a failing
// result leaves no trace in the group (nothing of it is written).
public sealed partial class WriteDraft
{
    private string? Validate(PipelineResultsResponse result, out ResultContext? context)
    {
        context = null;
        if (!_snapshot.Pipelines.TryGetValue(result.Pipeline, out var pipeline))
        {
            // Antenna creates a placeholder pipeline (no algorithms), then fails the same way.
            if (!_placeholderPipelines.Contains(result.Pipeline))
            {
                _placeholderPipelines.Add(result.Pipeline);
            }

            return WritePlanner.NoDetectionAlgorithm;
        }

        var detectors = pipeline.Algorithms.Where(a => a.TaskType is { } t && WritePlanner.DetectionTaskTypes.Contains(t)).ToList();
        if (detectors.Count == 0)
        {
            return WritePlanner.NoDetectionAlgorithm;
        }

        if (detectors.Count > 1)
        {
            return WritePlanner.SeveralDetectionAlgorithms;
        }

        var algorithms = new Dictionary<string, AlgorithmRow>(StringComparer.Ordinal);
        foreach (var algorithm in pipeline.Algorithms)
        {
            algorithms[algorithm.Key] = algorithm;
        }

        // Antenna's create_detections needs a response's algorithm only to create a detection
        // (a bbox-NULL response always looks its algorithm up); reused boxes and detections of
        // missing images save whatever their key. Its classifications need theirs whenever they
        // are saved, i.e. when the image was found.
        var found = new List<DetectionResponse>();
        foreach (var detection in result.Detections)
        {
            if (detection.Bbox is { } box && !BboxJson.IsFinite(box))
            {
                return $"Detection on source image {detection.SourceImageId} has a bounding box with a non-finite coordinate";
            }

            if (!ReadRequest.TryParseImageId(detection.SourceImageId, out var imageId) || !_snapshot.Images.ContainsKey(imageId))
            {
                continue;
            }

            found.Add(detection);
            if (!algorithms.ContainsKey(detection.Algorithm.Key) && !IsReusable(imageId, detection))
            {
                return NotKnown("Detection", detection.Algorithm.Key, pipeline);
            }
        }

        var newTaxa = new List<PlannedTaxon>();
        foreach (var detection in found)
        {
            foreach (var classification in detection.Classifications)
            {
                if (!algorithms.TryGetValue(classification.Algorithm.Key, out var classifier))
                {
                    return NotKnown("Classification", classification.Algorithm.Key, pipeline);
                }

                if (classification.Scores.Length == 0)
                {
                    return $"Classification \"{classification.Classification}\" by {classification.Algorithm.Key} has no scores";
                }

                if (ValidateTaxon(classification, classifier, newTaxa) is { } taxonFailure)
                {
                    return taxonFailure;
                }
            }
        }

        context = new ResultContext(pipeline, detectors[0], algorithms, newTaxa);
        return null;
    }

    /// <summary>Checks that the label resolves to a taxon, or that one can be created; records the taxa to create.</summary>
    private string? ValidateTaxon(ClassificationResponse classification, AlgorithmRow classifier, List<PlannedTaxon> newTaxa)
    {
        var label = classification.Classification;
        if (_snapshot.TaxaByLabel.ContainsKey(label) || _newTaxaByLabel.ContainsKey(label) || newTaxa.Exists(t => t.NewLabel == label))
        {
            return null;
        }

        if (_snapshot.InactiveNames.Contains(label))
        {
            return $"Cannot register taxon \"{label}\": an inactive taxon with that name exists";
        }

        // The rank comes from the category map entry at argmax(scores); a placeholder map (or a
        // map too short for the scores) has none.
        var rank = classifier.CategoryMapId is not null
            && _snapshot.Ranks.TryGetValue((classifier.Key, ReadRequest.ArgMax(classification.Scores)), out var mapped)
                ? mapped
                : "UNKNOWN";
        var displayName = rank == "GENUS" ? label + " sp." : label;
        if (_snapshot.TakenDisplayNames.Contains(displayName)
            || _newTaxaByDisplay.ContainsKey(displayName)
            || newTaxa.Exists(t => t.DisplayName == displayName))
        {
            return $"Cannot register taxon \"{label}\": display name \"{displayName}\" is already used by another taxon";
        }

        newTaxa.Add(new PlannedTaxon { NewLabel = label, Rank = rank, DisplayName = displayName, IntroducedBy = _results.Count - 1 });
        return null;
    }

    // A box stored before this result (or created by an earlier result of the group) is reused.
    private bool IsReusable(long imageId, DetectionResponse detection) =>
        detection.Bbox is { } box
        && (_byBbox.ContainsKey((imageId, BboxJson.Format(box))) || _snapshot.BboxMatches.ContainsKey((imageId, BboxJson.Format(box))));

    /// <summary>Antenna's PipelineNotConfigured text; the known keys are a Python list in the pipeline's algorithm order.</summary>
    private static string NotKnown(string kind, string key, PipelineRow pipeline) =>
        $"{kind} algorithm {key} is not a known algorithm. The processing service must declare it in the /info endpoint. "
        + $"Known algorithms: {PythonText.List(pipeline.Algorithms.Select(a => a.Key).Distinct(StringComparer.Ordinal))}";
}
