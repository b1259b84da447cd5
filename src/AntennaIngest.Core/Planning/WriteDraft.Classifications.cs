using System.Globalization;
using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Planning;

// Classifications, each on its own detection (Antenna pairs them positionally, which misplaces
// them when a result mixes reused and new detections; that is not reproduced).
public sealed partial class WriteDraft
{
    private void ApplyClassification(int index, ResultDraft draft, PlannedDetection detection, ClassificationResponse response, AlgorithmRow algorithm)
    {
        draft.ClassificationsSeen++;
        var map = CategoryMapFor(index, draft, algorithm, response);
        var list = TaxaListFor(index, draft, algorithm);
        var taxon = TaxonFor(response.Classification);
        if (taxon.NewLabel is not null && taxon.IntroducedBy == index && draft.AnnouncedTaxa.Add(taxon))
        {
            LogNewTaxon(draft, taxon);
        }
        if (_listTaxaSeen.Add((list, taxon)))
        {
            _listTaxa.Add((list, taxon));
        }

        var score = response.Scores.Max();
        if (FindDuplicate(detection, taxon, algorithm.Id, score) is { } duplicate)
        {
            draft.ClassificationsUpdated++;
            LogDuplicateUpdate(draft, duplicate);
            if (!duplicate.IsNew)
            {
                Backfill(duplicate, response, map, detection.ImageId);
            }

            return;
        }

        var created = new PlannedClassification
        {
            NewIndex = _newClassifications.Count,
            Detection = detection,
            Taxon = taxon,
            AlgorithmId = algorithm.Id,
            Score = score,
            Terminal = response.Terminal,
            Source = response,
            CategoryMap = map,
            LogitsNull = response.Logits is null,
        };
        _newClassifications.Add(created);
        detection.Classifications.Add(created);
        detection.Occurrence!.Classifications.Add(created);
        _changedImages.Add(detection.ImageId);
        draft.ClassificationsCreated++;
    }

    private PlannedTaxon TaxonFor(string label) =>
        _snapshot.TaxaByLabel.TryGetValue(label, out var id) ? Taxon(id) : _newTaxaByLabel[label];

    // The algorithm's map, or a placeholder from the first classification that needs it: labels
    // from the response, else "0".."n-1"; version = the classification timestamp's isoformat().
    private PlannedCategoryMap CategoryMapFor(int index, ResultDraft draft, AlgorithmRow algorithm, ClassificationResponse response)
    {
        if (_categoryMaps.TryGetValue(algorithm.Id, out var map))
        {
            return map;
        }

        if (algorithm.CategoryMapId is { } id)
        {
            map = new PlannedCategoryMap { Id = id, AlgorithmId = algorithm.Id };
        }
        else
        {
            IReadOnlyList<string> labels = response.Labels is { Count: > 0 } given
                ? [.. given]
                : [.. Enumerable.Range(0, response.Scores.Length).Select(i => i.ToString(CultureInfo.InvariantCulture))];
            map = new PlannedCategoryMap
            {
                AlgorithmId = algorithm.Id,
                AlgorithmName = algorithm.Name,
                AlgorithmKey = algorithm.Key,
                Labels = labels,
                Version = response.Timestamp.IsoText,
                NewIndex = _newCategoryMaps.Count,
                IntroducedBy = index,
            };
            _newCategoryMaps.Add(map);
            draft.IntroducedCategoryMaps.Add(map);
            LogPlaceholderMap(draft, algorithm, map);
        }

        _categoryMaps[algorithm.Id] = map;
        return map;
    }

    // The global list "Taxa returned by {algorithm name}" (algorithms sharing a name share it).
    private PlannedTaxaList TaxaListFor(int index, ResultDraft draft, AlgorithmRow algorithm)
    {
        var name = "Taxa returned by " + algorithm.Name;
        if (_taxaLists.TryGetValue(name, out var list))
        {
            return list;
        }

        if (_snapshot.TaxaListsByAlgorithm.TryGetValue(algorithm.Id, out var id))
        {
            list = new PlannedTaxaList { Id = id, AlgorithmId = algorithm.Id, Name = name };
        }
        else
        {
            list = new PlannedTaxaList { AlgorithmId = algorithm.Id, Name = name, NewIndex = _newTaxaLists.Count, IntroducedBy = index };
            _newTaxaLists.Add(list);
            draft.IntroducedTaxaLists.Add(list);
            LogNewTaxaList(draft, list);
        }

        _taxaLists[name] = list;
        return list;
    }

    // Antenna's dedupe: same detection, taxon, algorithm and exactly the same score; of several,
    // the newest (created_at DESC, score DESC; id DESC as the tie-break). Rows created earlier in
    // the group are newer than stored ones.
    private static PlannedClassification? FindDuplicate(PlannedDetection detection, PlannedTaxon taxon, long algorithmId, double score)
    {
        PlannedClassification? best = null;
        foreach (var candidate in detection.Classifications)
        {
            if (!ReferenceEquals(candidate.Taxon, taxon) || candidate.AlgorithmId != algorithmId || candidate.Score != score)
            {
                continue;
            }

            if (best is null || IsNewer(candidate, best))
            {
                best = candidate;
            }
        }

        return best;
    }

    private static bool IsNewer(PlannedClassification candidate, PlannedClassification current)
    {
        if (candidate.IsNew != current.IsNew)
        {
            return candidate.IsNew;
        }

        if (candidate.IsNew)
        {
            return candidate.NewIndex > current.NewIndex;
        }

        return candidate.CreatedAt != current.CreatedAt ? candidate.CreatedAt > current.CreatedAt : candidate.Id > current.Id;
    }

    // Antenna fills logits, scores and category_map of a duplicate when they are NULL (its
    // updated_at stays). Setting NULL to NULL changes nothing, so only real values are written.
    private void Backfill(PlannedClassification stored, ClassificationResponse response, PlannedCategoryMap map, long imageId)
    {
        var changed = false;
        if (stored.LogitsNull && response.Logits is not null)
        {
            stored.SetLogits = response.Logits;
            stored.LogitsNull = false;
            changed = true;
        }

        if (stored.ScoresNull)
        {
            stored.SetScores = response.Scores;
            stored.ScoresNull = false;
            changed = true;
        }

        if (stored.CategoryMapNull)
        {
            stored.SetCategoryMap = map;
            stored.CategoryMapNull = false;
            changed = true;
        }

        if (!changed)
        {
            return;
        }

        _changedImages.Add(imageId);
        if (!stored.Backfilled)
        {
            stored.Backfilled = true;
            _backfilled.Add(stored);
        }
    }
}
