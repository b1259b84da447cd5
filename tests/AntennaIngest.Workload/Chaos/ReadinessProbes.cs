using System.Net;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// Asks each instance's /readyz twice a second and keeps what it answered: how many answers,
/// how many were not 200, and how many said that results wait (the PostgreSQL line's reason).
/// </summary>
public sealed class ReadinessProbes(IReadOnlyList<int> ports)
{
    public int Answers { get; private set; }

    public int NotReady { get; private set; }

    public int Explained { get; private set; }

    /// <summary>Of <see cref="Explained"/>, the answers that blamed pgbouncer's pool or PostgreSQL (a slow SELECT 1).</summary>
    public int BlamedServer { get; private set; }

    public string Example { get; private set; } = string.Empty;

    /// <summary>The PostgreSQL line of the last answer (what /readyz said when nothing waited).</summary>
    public string LastPostgresLine { get; private set; } = string.Empty;

    private readonly HashSet<int> _readyOnce = [];

    public async Task WatchAsync(Func<bool> done, TimeSpan limit)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + limit;
        while (!done() && DateTime.UtcNow < deadline)
        {
            foreach (var port in ports)
            {
                await AskAsync(http, port);
            }

            await Task.Delay(500);
        }
    }

    private async Task AskAsync(HttpClient http, int port)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"));
            var body = await response.Content.ReadAsStringAsync();
            var ready = response.StatusCode == HttpStatusCode.OK;
            if (ready)
            {
                _readyOnce.Add(port);
            }

            if (!_readyOnce.Contains(port))
            {
                return; // still starting: not ready until its first probes answer
            }

            Answers++;
            NotReady += ready ? 0 : 1;
            var postgres = body.Split('\n').FirstOrDefault(l => l.StartsWith("postgres ", StringComparison.Ordinal)) ?? string.Empty;
            LastPostgresLine = postgres;
            if (SaysResultsWait(postgres))
            {
                Explained++;
                BlamedServer += postgres.Contains(ServerBusy, StringComparison.Ordinal) ? 1 : 0;
                Example = Example.Length > 0 ? Example : postgres;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Not listening yet (starting) or gone (stopped): not an answer.
        }
    }

    private const string ServerBusy = "(pgbouncer's pool or PostgreSQL is busy)";

    // A reason is given when requests wait for the binary's own pool or SELECT 1 waited behind a held connection.
    public static bool SaysResultsWait(string postgresLine) =>
        postgresLine.Contains(ServerBusy, StringComparison.Ordinal)
        || postgresLine.Contains("(results wait for the binary's own pool", StringComparison.Ordinal);
}
