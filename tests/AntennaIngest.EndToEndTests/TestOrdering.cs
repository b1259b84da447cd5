// The binaries these tests start share Redis database 0, where antenna-ingest keeps its
// deployment-wide queues (ingest:dirty:*, ingest:crops:pending). A binary of one test would take
// another test's dirty events or crops and look for them in its own PostgreSQL database, so the
// other test's counts would never be refreshed. In production one Redis database serves one
// Antenna database; here the tests take turns.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
