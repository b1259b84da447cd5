using AntennaIngest.Core.Metrics;

namespace AntennaIngest.UnitTests.Metrics;

public sealed class MetricsRegistryTests
{
    [Fact]
    public void Renders_counters_gauges_and_histograms_in_prometheus_text_format()
    {
        var registry = new MetricsRegistry();
        registry.Counter("t_results_total", "Results.", "outcome").Add(3, "saved");
        registry.Counter("t_results_total", "Results.", "outcome").Increment("fail\"ed");
        registry.Gauge("t_in_flight", "In flight.").Set(7);
        var histogram = registry.Histogram("t_seconds", "Latency.", [0.1, 1], "stage");
        histogram.Observe(0.05, "save");
        histogram.Observe(0.5, "save");
        histogram.Observe(5, "save");

        var text = registry.Render();

        Assert.Equal(
            """
            # HELP t_in_flight In flight.
            # TYPE t_in_flight gauge
            t_in_flight 7
            # HELP t_results_total Results.
            # TYPE t_results_total counter
            t_results_total{outcome="fail\"ed"} 1
            t_results_total{outcome="saved"} 3
            # HELP t_seconds Latency.
            # TYPE t_seconds histogram
            t_seconds_bucket{stage="save",le="0.1"} 1
            t_seconds_bucket{stage="save",le="1"} 2
            t_seconds_bucket{stage="save",le="+Inf"} 3
            t_seconds_sum{stage="save"} 5.55
            t_seconds_count{stage="save"} 3

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void Gauges_can_read_their_value_at_scrape_time()
    {
        var registry = new MetricsRegistry();
        var value = 1.0;
        registry.Gauge("t_up", "Up.", "dependency").Observe(() => value, "redis");
        value = 0;

        Assert.Contains("t_up{dependency=\"redis\"} 0\n", registry.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_number_of_label_values_is_a_programming_error()
    {
        var counter = new MetricsRegistry().Counter("t_total", "T.", "a", "b");
        Assert.Throws<ArgumentException>(() => counter.Increment("only-one"));
    }
}
