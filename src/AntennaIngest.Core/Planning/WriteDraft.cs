using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Processing;

namespace AntennaIngest.Core.Planning;

/// <summary>
/// A group's plan before ids exist. Results are applied in order to an in-memory model of the
/// rows they touch, so a later result sees what an earlier one created (as if Antenna had saved
/// them one after the other). New rows are numbered; the second round trip gives them ids
/// (<see cref="Complete"/>), then the third writes <see cref="WritePlan"/>.
/// </summary>
public sealed partial class WriteDraft
{
    private readonly ReadSnapshot _snapshot;
    private readonly string _timeZone;
    private readonly List<ResultDraft> _results = [];

    private readonly Dictionary<(long ImageId, string Bbox), PlannedDetection> _byBbox = [];
    private readonly Dictionary<(long ImageId, long AlgorithmId), PlannedDetection> _nullBbox = [];
    private readonly Dictionary<long, PlannedDetection> _existingDetections = [];
    private readonly Dictionary<long, PlannedOccurrence> _existingOccurrences = [];
    private readonly Dictionary<long, List<PlannedClassification>> _storedByDetection = [];
    private readonly Dictionary<long, List<PlannedClassification>> _storedByOccurrence = [];

    private readonly Dictionary<long, PlannedTaxon> _taxaById = [];
    private readonly Dictionary<string, PlannedTaxon> _newTaxaByLabel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PlannedTaxon> _newTaxaByDisplay = new(StringComparer.Ordinal);
    private readonly Dictionary<long, PlannedCategoryMap> _categoryMaps = [];
    private readonly Dictionary<string, PlannedTaxaList> _taxaLists = new(StringComparer.Ordinal);
    private readonly HashSet<(PlannedTaxaList, PlannedTaxon)> _listTaxaSeen = [];
    private readonly List<(PlannedTaxaList List, PlannedTaxon Taxon)> _listTaxa = [];

    private readonly List<PlannedTaxon> _newTaxa = [];
    private readonly List<PlannedTaxaList> _newTaxaLists = [];
    private readonly List<PlannedCategoryMap> _newCategoryMaps = [];
    private readonly List<PlannedDetection> _newDetections = [];
    private readonly List<PlannedClassification> _newClassifications = [];
    private readonly List<PlannedOccurrence> _newOccurrences = [];
    private readonly List<PlannedDetection> _updatedDetections = [];
    private readonly List<PlannedClassification> _backfilled = [];

    private readonly SortedSet<long> _foundImages = [];

    /// <summary>Images saved so far in the group whose NULL timestamp was filled from the file name.</summary>
    private readonly Dictionary<long, DateTime> _filledTimestamps = [];
    private readonly SortedSet<long> _changedImages = [];
    private readonly List<string> _placeholderPipelines = [];
    private bool _completed;

    /// <summary>Counts Antenna's create_detections calls (two per result): what one creates, it does not find.</summary>
    private int _pass;

    internal WriteDraft(ReadSnapshot snapshot, string timeZone)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _snapshot = snapshot;
        _timeZone = timeZone;
        foreach (var row in snapshot.Classifications)
        {
            var stored = new PlannedClassification
            {
                Id = row.Id,
                Taxon = row.TaxonId is { } taxonId ? Taxon(taxonId) : null,
                AlgorithmId = row.AlgorithmId,
                Score = row.Score,
                Terminal = row.Terminal,
                CreatedAt = row.CreatedAt,
                LogitsNull = row.LogitsNull,
                ScoresNull = row.ScoresNull,
                CategoryMapNull = row.CategoryMapNull,
            };
            Append(_storedByDetection, row.DetectionId, stored);
            if (row.OccurrenceId is { } occurrenceId)
            {
                Append(_storedByOccurrence, occurrenceId, stored);
            }
        }

        foreach (var row in snapshot.NullBboxDetections)
        {
            // First per (image, algorithm) in (frame_num, timestamp, id) order, as Antenna's .first().
            if (row.AlgorithmId is { } algorithmId && !_nullBbox.ContainsKey((row.ImageId, algorithmId)))
            {
                _nullBbox[(row.ImageId, algorithmId)] = Existing(row);
            }
        }
    }

    /// <summary>Labels of taxa the group may create (locked, re-read and given ids in round trip 2).</summary>
    public IReadOnlyList<string> NewTaxonLabels => [.. _newTaxa.Select(t => t.NewLabel!)];

    public IReadOnlyList<string> NewTaxaListNames => [.. _newTaxaLists.Select(l => l.Name)];

    /// <summary>Algorithms that may get a placeholder category map.</summary>
    public IReadOnlyList<long> NewCategoryMapAlgorithmIds => [.. _newCategoryMaps.Select(m => m.AlgorithmId)];

    public int NewDetectionCount => _newDetections.Count;

    public int NewClassificationCount => _newClassifications.Count;

    public int NewOccurrenceCount => _newOccurrences.Count;

    /// <summary>Advisory-lock keys for every row created by name; sorted, so every writer takes them in one order.</summary>
    public IReadOnlyList<string> NameLockKeys
    {
        get
        {
            var keys = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var taxon in _newTaxa)
            {
                keys.Add("taxon:" + taxon.NewLabel);
            }

            foreach (var list in _newTaxaLists)
            {
                keys.Add("taxalist:" + list.Name);
            }

            foreach (var map in _newCategoryMaps)
            {
                keys.Add("categorymap:" + map.AlgorithmId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            return [.. keys];
        }
    }

    public bool NeedsAllocation =>
        _newTaxa.Count + _newTaxaLists.Count + _newCategoryMaps.Count + _newDetections.Count + _newClassifications.Count + _newOccurrences.Count > 0;

    /// <summary>Unknown pipeline slugs: Antenna creates a placeholder pipeline for each (in its own transaction).</summary>
    public IReadOnlyList<string> PlaceholderPipelines => _placeholderPipelines;

    /// <summary>True when at least one result is to be written.</summary>
    public bool HasWrites => _results.Exists(r => r.Failure is null);

    public int Count => _results.Count;

    /// <summary>The reason result <paramref name="index"/> can never be saved, or null.</summary>
    public string? FailureOf(int index) => _results[index].Failure;

    /// <summary>Outcomes in request order, once the plan has committed, with the summary job-log lines.</summary>
    public IReadOnlyList<SaveOutcome> Outcomes(IReadOnlySet<long> imagesNeedingCrops) =>
        Outcomes(imagesNeedingCrops, TimeSpan.Zero, JobLogStyle.Summary);

    /// <summary>Outcomes in request order, once the plan has committed.</summary>
    /// <param name="saveDuration">How long the group's save took (Antenna's "Saved results … in {s} seconds").</param>
    /// <param name="style">Antenna's save_results lines, or the compact summary.</param>
    public IReadOnlyList<SaveOutcome> Outcomes(IReadOnlySet<long> imagesNeedingCrops, TimeSpan saveDuration, JobLogStyle style)
    {
        ArgumentNullException.ThrowIfNull(imagesNeedingCrops);
        return [.. _results.Select(r => r.ToOutcome(_snapshot, imagesNeedingCrops, saveDuration, style))];
    }

    internal void Add(PipelineResultsResponse result)
    {
        if (_completed)
        {
            throw new InvalidOperationException("the draft is already complete");
        }

        var draft = new ResultDraft();
        draft.Log(JobLogLevel.Info, "Saving results from pipeline " + result.Pipeline);
        _results.Add(draft);
        draft.Failure = Validate(result, out var context);
        if (draft.Failure is null)
        {
            Apply(_results.Count - 1, result, draft, context!);
        }
    }

    private DateTime? FilledTimestamp(long imageId) => _filledTimestamps.TryGetValue(imageId, out var value) ? value : null;

    // SourceImage.save(): update_calculated_fields fills a NULL timestamp from a non-empty path.
    private void SaveImage(ImageRow image)
    {
        if (image.HasTimestamp || image.Path.Length == 0 || _filledTimestamps.ContainsKey(image.Id))
        {
            return;
        }

        if (FilenameTimestamp.Parse(image.Path) is { } parsed)
        {
            _filledTimestamps[image.Id] = parsed;
            _changedImages.Add(image.Id);
        }
    }

    private static void Append<T>(Dictionary<long, List<T>> index, long key, T item)
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = [];
        }

        list.Add(item);
    }

    private PlannedTaxon Taxon(long id)
    {
        if (!_taxaById.TryGetValue(id, out var taxon))
        {
            _taxaById[id] = taxon = new PlannedTaxon { Id = id };
        }

        return taxon;
    }

    private PlannedDetection Existing(DetectionRow row)
    {
        if (_existingDetections.TryGetValue(row.Id, out var detection))
        {
            return detection;
        }

        detection = new PlannedDetection { Id = row.Id, ImageId = row.ImageId, AlgorithmId = row.AlgorithmId, Path = row.Path };
        if (_storedByDetection.TryGetValue(row.Id, out var stored))
        {
            detection.Classifications.AddRange(stored);
        }

        if (row.OccurrenceId is { } occurrenceId)
        {
            detection.Occurrence = ExistingOccurrence(occurrenceId);
            detection.Occurrence.ImageIds.Add(row.ImageId);
        }

        _existingDetections[row.Id] = detection;
        return detection;
    }

    private PlannedOccurrence ExistingOccurrence(long id)
    {
        if (_existingOccurrences.TryGetValue(id, out var occurrence))
        {
            return occurrence;
        }

        _snapshot.Occurrences.TryGetValue(id, out var row);
        var stored = row?.DeterminationId is { } taxonId ? Taxon(taxonId) : null;
        occurrence = new PlannedOccurrence
        {
            Id = id,
            StoredTaxon = stored,
            StoredScore = row?.DeterminationScore,
            Taxon = stored,
            Score = row?.DeterminationScore,
            Identification = _snapshot.Identifications.TryGetValue(id, out var identified)
                ? new IdentificationState<PlannedTaxon>(true, identified is { } t ? Taxon(t) : null)
                : default,
        };
        if (_storedByOccurrence.TryGetValue(id, out var classifications))
        {
            occurrence.Classifications.AddRange(classifications);
        }

        _existingOccurrences[id] = occurrence;
        return occurrence;
    }

    /// <summary>What validation resolved for a result that can be applied.</summary>
    private sealed record ResultContext(
        PipelineRow Pipeline,
        AlgorithmRow Detector,
        Dictionary<string, AlgorithmRow> Algorithms,
        List<PlannedTaxon> NewTaxa);
}
