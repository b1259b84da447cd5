using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Processing;

namespace AntennaIngest.Core.Planning;

// Applying one validated result to the group's model, in Antenna's order: detections, their
// classifications, occurrences and determinations, then null markers.
public sealed partial class WriteDraft
{
    private void Apply(int index, PipelineResultsResponse result, ResultDraft draft, ResultContext context)
    {
        LogRegistered(draft, context.Pipeline);
        foreach (var taxon in context.NewTaxa)
        {
            taxon.NewIndex = _newTaxa.Count;
            _newTaxa.Add(taxon);
            _newTaxaByLabel[taxon.NewLabel!] = taxon;
            _newTaxaByDisplay[taxon.DisplayName] = taxon;
            draft.IntroducedTaxa.Add(taxon);
        }

        _pass++;
        var touched = new List<PlannedOccurrence>();
        var touchedSet = new HashSet<PlannedOccurrence>();
        var detectionImages = new HashSet<string>(StringComparer.Ordinal);
        var images = new List<ImageRow>();
        var entries = new List<PassEntry>();
        foreach (var response in result.Detections)
        {
            detectionImages.Add(response.SourceImageId);
            if (!TryImage(response.SourceImageId, draft, out var image))
            {
                LogMissing(draft, response.SourceImageId);
                continue;
            }

            draft.DetectionsKept++;
            var detection = FindOrCreateDetection(response, image, context.Algorithms.GetValueOrDefault(response.Algorithm.Key)?.Id, out var created);
            if (created)
            {
                draft.DetectionsCreated++;
            }
            else
            {
                draft.DetectionsUpdated++;
                Resave(detection, response.CropImageUrl);
            }

            images.Add(image);

            var occurrenceCreated = detection.Occurrence is null;
            if (occurrenceCreated)
            {
                AssignNewOccurrence(detection, image);
                draft.OccurrencesCreated++;
            }

            entries.Add(new PassEntry(detection, image.Id, !created, occurrenceCreated));

            detection.Occurrence!.ImageIds.Add(image.Id);
            foreach (var classification in response.Classifications)
            {
                ApplyClassification(index, draft, detection, classification, context.Algorithms[classification.Algorithm.Key]);
            }

            if (touchedSet.Add(detection.Occurrence))
            {
                touched.Add(detection.Occurrence);
            }
        }

        draft.DetectionImages = detectionImages.Count;
        LogDetectionPass(draft, draft.DetectionsCreated, draft.DetectionsUpdated, detectionImages.Count);
        draft.FlushClassificationLines();
        draft.Log(JobLogLevel.Info, $"Created {draft.ClassificationsCreated} new classifications, updated {draft.ClassificationsUpdated} existing classifications for {draft.DetectionsKept} detections.");
        var determined = new Dictionary<PlannedOccurrence, bool>();
        foreach (var occurrence in touched)
        {
            var changed = Determine(occurrence);
            determined[occurrence] = changed;
            if (changed)
            {
                draft.DeterminationsUpdated++;
            }
            else
            {
                draft.DeterminationsUnchanged++;
            }
        }

        LogOccurrences(draft, entries, determined);

        // Antenna saves each image with detections after its occurrences, then every found image
        // of the result, all before the null markers are looked up or created.
        foreach (var image in images)
        {
            SaveImage(image);
        }

        foreach (var source in result.SourceImages)
        {
            if (ReadRequest.TryParseImageId(source.Id, out var id) && _snapshot.Images.TryGetValue(id, out var image))
            {
                SaveImage(image);
            }
        }

        draft.Log(JobLogLevel.Info, () => $"Creating detection images in sub-task {draft.CropRequestId}");
        AddNullMarkers(result, draft, detectionImages, context.Detector);
    }

    private bool TryImage(string imageId, ResultDraft draft, out ImageRow image)
    {
        if (ReadRequest.TryParseImageId(imageId, out var id) && _snapshot.Images.TryGetValue(id, out image!))
        {
            draft.Found(id);
            _foundImages.Add(id);
            return true;
        }

        draft.Missing(imageId);
        image = null!;
        return false;
    }

    // Real detections are the same physical detection whatever found them: reuse by (image, bbox).
    // bbox-NULL detections are per-algorithm sentinels: reuse by (image, algorithm, bbox IS NULL).
    // Stored rows win over rows created earlier in the group (their ids are lower). Antenna looks
    // each response up before the pass's new detections are saved (one bulk_create at the end),
    // so a detection created in the same pass is never found: identical boxes in one result
    // become as many detections, and a later lookup finds the first of them.
    // The algorithm is only needed to create (validation made sure it is known then).
    private PlannedDetection FindOrCreateDetection(DetectionResponse response, ImageRow image, long? algorithmId, out bool created)
    {
        created = false;
        if (response.Bbox is { } box)
        {
            var key = (image.Id, BboxJson.Format(box));
            if (_byBbox.TryGetValue(key, out var detection) && detection.CreatedInPass != _pass)
            {
                return detection;
            }

            if (detection is null && _snapshot.BboxMatches.TryGetValue(key, out var row))
            {
                return _byBbox[key] = Existing(row);
            }

            created = true;
            var fresh = NewDetection(image.Id, algorithmId!.Value, key.Item2, response, marker: false);
            _byBbox.TryAdd(key, fresh);
            return fresh;
        }

        if (_nullBbox.TryGetValue((image.Id, algorithmId!.Value), out var sentinel) && sentinel.CreatedInPass != _pass)
        {
            return sentinel;
        }

        created = true;
        var marker = NewDetection(image.Id, algorithmId.Value, null, response, marker: false);
        _nullBbox.TryAdd((image.Id, algorithmId.Value), marker);
        return marker;
    }

    private PlannedDetection NewDetection(long imageId, long algorithmId, string? bbox, DetectionResponse? response, bool marker)
    {
        var detection = new PlannedDetection
        {
            NewIndex = _newDetections.Count,
            ImageId = imageId,
            AlgorithmId = algorithmId,
            Bbox = bbox,
            IsMarker = marker,
            CreatedInPass = _pass,
            DetectionTime = response?.Timestamp,
            Path = response is null ? null : CropPath(response.CropImageUrl),
            FillTimestamp = FilledTimestamp(imageId),
        };
        _newDetections.Add(detection);
        _changedImages.Add(imageId);
        return detection;
    }

    /// <summary>Antenna keeps a crop URL only when something is left after stripping '/'; it stores it unstripped.</summary>
    private static string? CropPath(string? url) => url is not null && url.Trim('/').Length > 0 ? url : null;

    // get_or_create_detection re-saves a reused detection whose path is empty (NULL or ''): the
    // path becomes the crop URL or NULL, and Detection.save() fills a NULL timestamp from the
    // image as it is at that moment (a save earlier in the group may have filled the image's).
    private void Resave(PlannedDetection detection, string? url)
    {
        if (!string.IsNullOrEmpty(detection.Path))
        {
            return;
        }

        var path = CropPath(url);
        var moves = path != detection.Path || (FilledTimestamp(detection.ImageId) is not null && detection.FillTimestamp is null);
        detection.Path = path;
        detection.FillTimestamp ??= FilledTimestamp(detection.ImageId);
        if (!detection.IsNew)
        {
            detection.SetPath = detection.Path;
            detection.Resaved = true;
            MarkUpdated(detection, imageChanged: moves);
        }
    }

    // A re-save that moves no value leaves the image's updated_at (a replay changes nothing).
    private void MarkUpdated(PlannedDetection detection, bool imageChanged = true)
    {
        if (!detection.Resaved && !detection.OccurrenceAssigned)
        {
            return;
        }

        if (!_updatedDetections.Contains(detection))
        {
            _updatedDetections.Add(detection);
        }

        if (imageChanged)
        {
            _changedImages.Add(detection.ImageId);
        }
    }

    // One occurrence per detection (Antenna has no tracking), copying the image's event,
    // deployment and project as they are stored.
    private void AssignNewOccurrence(PlannedDetection detection, ImageRow image)
    {
        var occurrence = new PlannedOccurrence
        {
            NewIndex = _newOccurrences.Count,
            EventId = image.EventId,
            DeploymentId = image.DeploymentId,
            ProjectId = image.ProjectId,
        };
        occurrence.Classifications.AddRange(detection.Classifications);
        _newOccurrences.Add(occurrence);
        detection.Occurrence = occurrence;
        if (!detection.IsNew)
        {
            detection.OccurrenceAssigned = true;
            MarkUpdated(detection);
        }
    }

    private bool Determine(PlannedOccurrence occurrence)
    {
        var candidates = occurrence.Classifications.Select(c => new PredictionCandidate<PlannedTaxon>(c.Taxon, c.Score, c.Terminal, c.Order, c.AlgorithmId));
        if (!DeterminationRules.TryUpdate(occurrence.Identification, candidates, occurrence.Taxon, occurrence.Score, out var taxon, out var score))
        {
            return false;
        }

        occurrence.Taxon = taxon;
        occurrence.Score = score;
        foreach (var imageId in occurrence.ImageIds)
        {
            _changedImages.Add(imageId);
        }

        return true;
    }

    // Antenna's second create_detections pass: one bbox-NULL response per source_images entry
    // without a detection in the result (a listed-twice image gets two), for the pipeline's
    // detection algorithm, reused or created; written last, with the rest.
    private void AddNullMarkers(PipelineResultsResponse result, ResultDraft draft, HashSet<string> detectionImages, AlgorithmRow detector)
    {
        _pass++;
        var images = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in result.SourceImages)
        {
            if (detectionImages.Contains(source.Id))
            {
                continue;
            }

            images.Add(source.Id);
            if (!TryImage(source.Id, draft, out var image))
            {
                LogMissing(draft, source.Id);
                continue;
            }

            if (_nullBbox.TryGetValue((image.Id, detector.Id), out var existing) && existing.CreatedInPass != _pass)
            {
                draft.MarkersReused++;
                Resave(existing, null);
                continue;
            }

            var marker = NewDetection(image.Id, detector.Id, null, null, marker: true);
            _nullBbox.TryAdd((image.Id, detector.Id), marker);
            draft.MarkersCreated++;
        }

        draft.MarkerImages = images.Count;
        LogDetectionPass(draft, draft.MarkersCreated, draft.MarkersReused, images.Count);
    }
}
