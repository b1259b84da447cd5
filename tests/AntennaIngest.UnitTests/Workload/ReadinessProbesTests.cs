using AntennaIngest.Workload.Chaos;

namespace AntennaIngest.UnitTests.Workload;

public sealed class ReadinessProbesTests
{
    [Theory]
    [InlineData("postgres ok: 20/20 pooled connections in use, 37 requests waiting for one (waited 0.41 s); SELECT 1 took 0.38 s on its connection (pgbouncer's pool or PostgreSQL is busy)", true)]
    [InlineData("postgres ok: 20/20 pooled connections in use, 5 requests waiting for one (waited 0.20 s); SELECT 1 took 0.01 s on its connection (results wait for the binary's own pool, INGEST_DB_CONNECTIONS; none fail)", true)]
    [InlineData("postgres ok: 3/20 pooled connections in use, 0 requests waiting for one (waited 0.00 s); SELECT 1 took 0.00 s on its connection", false)]
    [InlineData("postgres not ready: 0/20 pooled connections in use, 0 requests waiting for one", false)]
    public void A_postgres_line_counts_as_saying_why_only_when_it_names_the_wait(string line, bool explained)
    {
        Assert.Equal(explained, ReadinessProbes.SaysResultsWait(line));
    }
}
