namespace AntennaIngest.Core.Planning.Rows;

/// <summary>main_taxalist_taxa pairs, inserted ON CONFLICT DO NOTHING.</summary>
public sealed record TaxaListTaxonInsert(long[] TaxaListIds, long[] TaxonIds);
