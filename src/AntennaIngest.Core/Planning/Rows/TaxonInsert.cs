namespace AntennaIngest.Core.Planning.Rows;

/// <summary>New main_taxon rows (active, parents_json '[]', search_names '{}', author/notes '').</summary>
public sealed record TaxonInsert(long[] Ids, string[] Names, string[] Ranks, string[] DisplayNames);
