namespace AntennaIngest.Core.Planning.Rows;

/// <summary>New global main_taxalist rows (description '').</summary>
public sealed record TaxaListInsert(long[] Ids, string[] Names);
