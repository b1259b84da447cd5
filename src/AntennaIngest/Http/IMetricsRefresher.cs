namespace AntennaIngest.Http;

/// <summary>Updates gauges that are read from elsewhere (pool statistics) right before a scrape.</summary>
internal interface IMetricsRefresher
{
    void Refresh();
}
