using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace AntennaIngest.Postgres.Connections;

/// <summary>
/// The tables a statement writes, read from its text (INSERT INTO / UPDATE / DELETE FROM), as
/// django-cachalot finds the tables of raw SQL. Statements are constants, so each is parsed once.
/// </summary>
public static partial class WrittenTables
{
    private static readonly ConcurrentDictionary<string, string[]> Parsed = new();

    public static string[] Of(string sql) => Parsed.GetOrAdd(sql, Parse);

    /// <summary>Adds the tables <paramref name="sql"/> writes to <paramref name="tables"/>.</summary>
    public static void AddTo(ISet<string> tables, string sql)
    {
        ArgumentNullException.ThrowIfNull(tables);
        foreach (var table in Of(sql))
        {
            tables.Add(table);
        }
    }

    private static string[] Parse(string sql) =>
        [.. WriteTarget().Matches(sql).Select(m => m.Groups[1].Value.ToLowerInvariant()).Distinct()];

    [GeneratedRegex("""(?<!\bDO\s+)\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z_][A-Za-z0-9_]*)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WriteTarget();
}
