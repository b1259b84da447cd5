using System.Globalization;
using System.Text;
using static AntennaIngest.Workload.Summary.MatrixSummary;

namespace AntennaIngest.Workload.Summary;

/// <summary>The two SVG charts: throughput against added delay, and latency CDFs at equal load.</summary>
public static class SummaryCharts
{
    private static readonly string[] s_colors = ["#2b7bb9", "#e08a2c", "#3a9d5d", "#c0392b", "#8e44ad", "#7f8c8d", "#d4ac0d", "#16a085"];
    private const int Left = 80, Top = 40, Width = 560, Height = 320;

    /// <summary>Results/min (log scale) per contender at each added delay; whiskers are the 95 % intervals.</summary>
    public static string ThroughputByDelay(MatrixSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var delays = s.Delays;
        var series = s.Backlog.GroupBy(c => c.Contender).ToList();
        var max = Math.Max(10, s.Backlog.Select(c => double.IsFinite(c.PerMinute.High) ? c.PerMinute.High : c.PerMinute.Mean).DefaultIfEmpty(10).Max());
        var min = Math.Max(1, s.Backlog.Where(c => c.PerMinute.N > 0).Select(c => Math.Max(1, c.PerMinute.Low)).DefaultIfEmpty(1).Min());
        var (lo, hi) = (Math.Floor(Math.Log10(min)), Math.Ceiling(Math.Log10(max)));
        double X(double delay) => Left + (delays.Count == 1 ? Width / 2.0 : Width * delays.ToList().IndexOf(delay) / (delays.Count - 1.0));
        double Y(double value) => Top + Height - (Height * (Math.Log10(Math.Max(value, Math.Pow(10, lo))) - lo) / Math.Max(1, hi - lo));

        var svg = Start($"{s.Title}: results per minute against added round-trip delay (log scale, 95 % intervals)", series.Count);
        for (var d = lo; d <= hi; d++)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{F(Y(Math.Pow(10, d)), "F1")}\" x2=\"{Left + Width}\" y2=\"{F(Y(Math.Pow(10, d)), "F1")}\" stroke=\"#ddd\"/><text x=\"{Left - 6}\" y=\"{F(Y(Math.Pow(10, d)) + 4, "F1")}\" text-anchor=\"end\" fill=\"#666\">{F(Math.Pow(10, d))}</text>\n");
        }

        foreach (var delay in delays)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(delay), "F1")}\" y=\"{Top + Height + 20}\" text-anchor=\"middle\" fill=\"#666\">+{F(delay, "0.###")} ms</text>\n");
        }

        for (var i = 0; i < series.Count; i++)
        {
            var color = s_colors[i % s_colors.Length];
            var points = series[i].Where(c => c.PerMinute.N > 0).OrderBy(c => c.DelayMs).ToList();
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', points.Select(c => $"{F(X(c.DelayMs), "F1")},{F(Y(c.PerMinute.Mean), "F1")}"))}\"/>\n");
            foreach (var c in points)
            {
                var high = double.IsFinite(c.PerMinute.High) ? c.PerMinute.High : c.PerMinute.Mean;
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(c.DelayMs), "F1")}\" y1=\"{F(Y(Math.Max(1, c.PerMinute.Low)), "F1")}\" x2=\"{F(X(c.DelayMs), "F1")}\" y2=\"{F(Y(high), "F1")}\" stroke=\"{color}\"/><circle cx=\"{F(X(c.DelayMs), "F1")}\" cy=\"{F(Y(c.PerMinute.Mean), "F1")}\" r=\"3.5\" fill=\"{color}\"/>\n");
            }

            Legend(svg, i, series[i].Key, color);
        }

        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>Enqueue → ack latency CDFs of the paced runs (all repetitions pooled), one line per contender and load.</summary>
    public static string LatencyCdf(MatrixSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var lines = s.Paced.Select(c => (Label: $"{c.Contender}, {c.Load}, +{F(c.DelayMs, "0.###")} ms", Values: c.Ok.SelectMany(r => r.Latencies()).Order().ToArray()))
            .Where(l => l.Values.Length > 0).ToList();
        var svg = Start($"{s.Title}: enqueue → ack latency at equal offered load (CDF, log scale)", lines.Count);
        if (lines.Count == 0)
        {
            return svg.Append("<text x=\"80\" y=\"80\">no paced runs</text></svg>\n").ToString();
        }

        var (lo, hi) = (Math.Floor(Math.Log10(Math.Max(1, lines.Min(l => l.Values[0])))), Math.Ceiling(Math.Log10(Math.Max(10, lines.Max(l => l.Values[^1])))));
        double X(double ms) => Left + (Width * (Math.Log10(Math.Max(ms, Math.Pow(10, lo))) - lo) / Math.Max(1, hi - lo));
        double Y(double fraction) => Top + Height - (Height * fraction);
        for (var d = lo; d <= hi; d++)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(Math.Pow(10, d)), "F1")}\" y1=\"{Top}\" x2=\"{F(X(Math.Pow(10, d)), "F1")}\" y2=\"{Top + Height}\" stroke=\"#ddd\"/><text x=\"{F(X(Math.Pow(10, d)), "F1")}\" y=\"{Top + Height + 20}\" text-anchor=\"middle\" fill=\"#666\">{F(Math.Pow(10, d))} ms</text>\n");
        }

        foreach (var q in new[] { 0.5, 0.95, 0.99 })
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{F(Y(q), "F1")}\" x2=\"{Left + Width}\" y2=\"{F(Y(q), "F1")}\" stroke=\"#eee\"/><text x=\"{Left - 6}\" y=\"{F(Y(q) + 4, "F1")}\" text-anchor=\"end\" fill=\"#666\">p{F(q * 100)}</text>\n");
        }

        for (var i = 0; i < lines.Count; i++)
        {
            var (label, values) = lines[i];
            var color = s_colors[i % s_colors.Length];
            var step = Math.Max(1, values.Length / 400);
            var points = Enumerable.Range(0, values.Length).Where(k => k % step == 0 || k == values.Length - 1)
                .Select(k => $"{F(X(values[k]), "F1")},{F(Y((k + 1.0) / values.Length), "F1")}");
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>\n");
            Legend(svg, i, label, color);
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static StringBuilder Start(string title, int legendRows)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Left + Width + 340}\" height=\"{Math.Max(Top + Height + 40, Top + (legendRows * 20) + 20)}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{title.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)}</text>\n");
        return svg;
    }

    private static void Legend(StringBuilder svg, int row, string label, string color) =>
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left + Width + 20}\" y=\"{Top + (row * 20)}\" width=\"12\" height=\"12\" fill=\"{color}\"/><text x=\"{Left + Width + 38}\" y=\"{Top + (row * 20) + 11}\">{label.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)}</text>\n");
}
