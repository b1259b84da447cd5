using System.Text;
using System.Text.Json;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Planning.Rows;

namespace AntennaIngest.Core.Planning;

// Ids in, column arrays out.
public sealed partial class WriteDraft
{
    /// <summary>Gives the new rows their ids and returns every write of the group.</summary>
    public WritePlan Complete(WriteAllocation allocation)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        if (_completed)
        {
            throw new InvalidOperationException("the draft is already complete");
        }

        _completed = true;
        Expect(allocation.Taxa.Count, _newTaxa.Count, "taxa");
        Expect(allocation.TaxaLists.Count, _newTaxaLists.Count, "taxa lists");
        Expect(allocation.CategoryMaps.Count, _newCategoryMaps.Count, "category maps");
        Expect(allocation.DetectionIds.Count, _newDetections.Count, "detections");
        Expect(allocation.ClassificationIds.Count, _newClassifications.Count, "classifications");
        Expect(allocation.OccurrenceIds.Count, _newOccurrences.Count, "occurrences");
        for (var i = 0; i < _newTaxa.Count; i++)
        {
            (_newTaxa[i].Id, _newTaxa[i].Created) = allocation.Taxa[i];
        }

        for (var i = 0; i < _newTaxaLists.Count; i++)
        {
            (_newTaxaLists[i].Id, _newTaxaLists[i].Created) = allocation.TaxaLists[i];
        }

        for (var i = 0; i < _newCategoryMaps.Count; i++)
        {
            (_newCategoryMaps[i].Id, _newCategoryMaps[i].Created) = allocation.CategoryMaps[i];
        }

        for (var i = 0; i < _newDetections.Count; i++)
        {
            _newDetections[i].Id = allocation.DetectionIds[i];
        }

        for (var i = 0; i < _newClassifications.Count; i++)
        {
            _newClassifications[i].Id = allocation.ClassificationIds[i];
        }

        for (var i = 0; i < _newOccurrences.Count; i++)
        {
            _newOccurrences[i].Id = allocation.OccurrenceIds[i];
        }

        var taxa = _newTaxa.Where(t => t.Created).ToList();
        var lists = _newTaxaLists.Where(l => l.Created).ToList();
        var detections = _newDetections.Where(d => !d.IsMarker).ToList();
        var markers = _newDetections.Where(d => d.IsMarker).ToList();
        var pairs = _listTaxa.Select(p => (p.List.Id, p.Taxon.Id)).Distinct().ToList();
        var determinations = _existingOccurrences.Values
            .Where(o => o.Taxon?.Id != o.StoredTaxon?.Id || o.Score != o.StoredScore)
            .OrderBy(o => o.Id)
            .ToList();
        return new WritePlan
        {
            Taxa = new TaxonInsert([.. taxa.Select(t => t.Id)], [.. taxa.Select(t => t.NewLabel!)], [.. taxa.Select(t => t.Rank)], [.. taxa.Select(t => t.DisplayName)]),
            TaxaLists = new TaxaListInsert([.. lists.Select(l => l.Id)], [.. lists.Select(l => l.Name)]),
            CategoryMaps = CategoryMaps(),
            TaxaListTaxa = new TaxaListTaxonInsert([.. pairs.Select(p => p.Item1)], [.. pairs.Select(p => p.Item2)]),
            Occurrences = new OccurrenceInsert(
                [.. _newOccurrences.Select(o => o.Id)],
                [.. _newOccurrences.Select(o => o.EventId)],
                [.. _newOccurrences.Select(o => o.DeploymentId)],
                [.. _newOccurrences.Select(o => o.ProjectId)],
                [.. _newOccurrences.Select(o => o.Taxon?.Id)],
                [.. _newOccurrences.Select(o => o.Score)]),
            Detections = Detections(detections),
            DetectionUpdates = new DetectionUpdate(
                [.. _updatedDetections.Select(d => d.Id)],
                [.. _updatedDetections.Select(d => d.OccurrenceAssigned ? d.Occurrence!.Id : (long?)null)],
                [.. _updatedDetections.Select(d => d.Resaved)],
                [.. _updatedDetections.Select(d => d.SetPath)],
                [.. _updatedDetections.Select(d => d.FillTimestamp)]),
            Classifications = Classifications(),
            Backfills = Backfills(),
            Determinations = new DeterminationUpdate(
                [.. determinations.Select(o => o.Id)],
                [.. determinations.Select(o => o.Taxon?.Id)],
                [.. determinations.Select(o => o.Score)]),
            Markers = new MarkerInsert([.. markers.Select(m => m.Id)], [.. markers.Select(m => m.ImageId)], [.. markers.Select(m => m.AlgorithmId!.Value)], [.. markers.Select(m => m.FillTimestamp)]),
            ImageIds = [.. _foundImages],
            ImageTimestamps = [.. _foundImages.Select(FilledTimestamp)],
            WallClockZone = _timeZone,
            ChangedImageIds = [.. _changedImages],
        };
    }

    private static void Expect(int actual, int expected, string what)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"allocation has {actual} {what}, the draft needs {expected}");
        }
    }

    /// <summary>A result timestamp as a naive value and the zone it is a wall-clock time in.</summary>
    private (DateTime Wall, string Zone) Wall(ResultTimestamp timestamp) =>
        (DateTime.SpecifyKind(timestamp.Value, DateTimeKind.Unspecified), timestamp.IsAware ? "UTC" : _timeZone);

    private DetectionInsert Detections(List<PlannedDetection> detections)
    {
        var times = new DateTime[detections.Count];
        var zones = new string[detections.Count];
        for (var i = 0; i < detections.Count; i++)
        {
            (times[i], zones[i]) = Wall(detections[i].DetectionTime!.Value);
        }

        return new DetectionInsert(
            [.. detections.Select(d => d.Id)],
            [.. detections.Select(d => d.ImageId)],
            [.. detections.Select(d => d.Bbox)],
            [.. detections.Select(d => d.Path)],
            times,
            zones,
            [.. detections.Select(d => d.AlgorithmId)],
            [.. detections.Select(d => d.Occurrence?.Id)],
            [.. detections.Select(d => d.FillTimestamp)]);
    }

    private ClassificationInsert Classifications()
    {
        var rows = _newClassifications;
        var times = new DateTime[rows.Count];
        var zones = new string[rows.Count];
        var scores = new VectorsBuilder();
        var logits = new VectorsBuilder();
        for (var i = 0; i < rows.Count; i++)
        {
            var source = rows[i].Source!;
            (times[i], zones[i]) = Wall(source.Timestamp);
            scores.Add(source.Scores);
            logits.Add(source.Logits);
        }

        return new ClassificationInsert(
            [.. rows.Select(c => c.Id)],
            [.. rows.Select(c => c.Detection!.Id)],
            [.. rows.Select(c => c.Taxon!.Id)],
            [.. rows.Select(c => c.AlgorithmId!.Value)],
            [.. rows.Select(c => c.Score!.Value)],
            times,
            zones,
            [.. rows.Select(c => (long?)c.CategoryMap!.Id)],
            [.. rows.Select(c => c.Terminal)],
            scores.Build(),
            logits.Build());
    }

    private ClassificationBackfill Backfills()
    {
        var scores = new VectorsBuilder();
        var logits = new VectorsBuilder();
        foreach (var row in _backfilled)
        {
            scores.Add(row.SetScores);
            logits.Add(row.SetLogits);
        }

        return new ClassificationBackfill(
            [.. _backfilled.Select(c => c.Id)],
            [.. _backfilled.Select(c => c.SetCategoryMap?.Id)],
            scores.Build(),
            logits.Build());
    }

    private CategoryMapInsert CategoryMaps()
    {
        var maps = _newCategoryMaps.Where(m => m.Created).ToList();
        var labels = new List<string>();
        var offsets = new int[maps.Count];
        var counts = new int[maps.Count];
        var data = new string[maps.Count];
        for (var i = 0; i < maps.Count; i++)
        {
            offsets[i] = labels.Count;
            counts[i] = maps[i].Labels!.Count;
            labels.AddRange(maps[i].Labels!);
            data[i] = CategoryMapData(maps[i].Labels!);
        }

        return new CategoryMapInsert(
            [.. maps.Select(m => m.Id)],
            [.. maps.Select(m => m.AlgorithmId)],
            data,
            [.. labels],
            offsets,
            counts,
            [.. maps.Select(m => m.Version)],
            [.. maps.Select(m => LabelsHash.Compute(m.Labels!))]);
    }

    /// <summary>A placeholder map's data: [{"label": l, "index": i}, ...].</summary>
    internal static string CategoryMapData(IReadOnlyList<string> labels)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            for (var i = 0; i < labels.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("label", labels[i]);
                writer.WriteNumber("index", i);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
