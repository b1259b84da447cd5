using System.Globalization;

namespace AntennaIngest.WriteBench;

/// <summary>Command line: --results N --seconds S --connections C --max-detections D --labels L --direct --seed X.</summary>
internal sealed record BenchOptions(int Results, double Seconds, int Connections, int MaxDetections, int Labels, bool Direct, int Seed, bool Logits)
{
    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions(
            Results: 300,
            Seconds: 20,
            Connections: int.TryParse(Environment.GetEnvironmentVariable("INGEST_DB_CONNECTIONS"), out var c) ? c : 8,
            MaxDetections: 30,
            Labels: 3000,
            Direct: false,
            Seed: 42,
            Logits: true);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => args[++i];
            options = args[i] switch
            {
                "--results" => options with { Results = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seconds" => options with { Seconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--connections" => options with { Connections = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--max-detections" => options with { MaxDetections = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--labels" => options with { Labels = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--direct" => options with { Direct = true },
                "--no-logits" => options with { Logits = false },
                _ => throw new ArgumentException($"unknown argument {args[i]}"),
            };
        }

        return options;
    }
}
