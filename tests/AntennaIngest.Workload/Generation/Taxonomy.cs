namespace AntennaIngest.Workload.Generation;

/// <summary>
/// The benchmark's labels: deterministic Latin-looking binomials for the species classifier
/// (unique for any count, so setup and enqueue agree without sharing a list) and the binary
/// moth filter's two labels.
/// </summary>
public static class Taxonomy
{
    public const string Moth = "moth";
    public const string NonMoth = "nonmoth";

    public static readonly string[] BinaryLabels = [Moth, NonMoth];

    // Fixed-length syllables make every concatenation unique.
    private static readonly string[] s_genusHead = ["Aga", "Ble", "Cal", "Dys", "Eup", "Far", "Gla", "Hyp", "Idi", "Lam", "Mel", "Noc", "Orb", "Pha", "Rho", "Sco", "Tet", "Xan", "Zan", "Cer", "Dio", "Epi", "Lyt", "Pal", "Ser"];
    private static readonly string[] s_genusTail = ["ptis", "rina", "lora", "mera", "tera", "nius", "stia", "chia", "gona", "pola"];
    private static readonly string[] s_epithets = ["pronuba", "nigrum", "vulgaris", "lunaris", "fasciata", "comes", "janthina", "ochracea", "palustris", "rubiginea", "sordida", "trigona"];

    public static int GenusCount => s_genusHead.Length * s_genusTail.Length;

    /// <summary>Species label number <paramref name="index"/> (0-based), e.g. "Noctera pronuba".</summary>
    public static string SpeciesLabel(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var perRound = GenusCount * s_epithets.Length;
        var round = index / perRound;
        var within = index % perRound;
        var genus = within / s_epithets.Length;
        var name = s_genusHead[genus % s_genusHead.Length] + s_genusTail[genus / s_genusHead.Length] + " " + s_epithets[within % s_epithets.Length];
        return round == 0 ? name : $"{name} {round + 1}";
    }

    public static string[] SpeciesLabels(int count)
    {
        var labels = new string[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = SpeciesLabel(i);
        }

        return labels;
    }
}
