using System.Net;
using AntennaIngest.Testing;

namespace AntennaIngest.EndToEndTests;

public sealed class FoundationTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Version_prints_and_exits_zero()
    {
        var (exitCode, stdout, _) = await NativeBinary.RunAsync(new Dictionary<string, string>(), s_timeout, "--version");

        Assert.Equal(0, exitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout.Trim());
    }

    [Theory]
    [InlineData("run")]
    [InlineData("check")]
    [InlineData("settings")]
    [InlineData("healthcheck")]
    public async Task Every_command_has_help(string command)
    {
        var (exitCode, stdout, _) = await NativeBinary.RunAsync(new Dictionary<string, string>(), s_timeout, command, "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
        Assert.Contains($"antenna-ingest {command}", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_reports_ok_for_every_dependency_through_pgbouncer()
    {
        await using var database = await TestDatabase.CreateAsync();

        var (exitCode, stdout, stderr) = await NativeBinary.RunAsync(ServiceEnvironment.For(database.PgbouncerUrl), s_timeout, "check");

        Assert.True(exitCode == 0, stdout + stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["postgres", "redis", "nats", "rabbitmq"], lines.Select(l => l.Split(' ')[0]));
        Assert.All(lines, line => Assert.Contains(" ok ", line, StringComparison.Ordinal));
        Assert.DoesNotContain(":antenna@", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_names_the_missing_column_and_exits_one()
    {
        await using var database = await TestDatabase.CreateAsync();
        await database.ExecuteAsync("ALTER TABLE main_classification DROP COLUMN logits");

        var (exitCode, stdout, _) = await NativeBinary.RunAsync(ServiceEnvironment.For(database.PgbouncerUrl), s_timeout, "check");

        Assert.Equal(1, exitCode);
        Assert.Contains("postgres  FAILED", stdout, StringComparison.Ordinal);
        Assert.Contains("table main_classification lacks column(s) logits", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("check")]
    [InlineData("run")]
    public async Task A_malformed_database_url_is_one_line_and_exit_code_two(string command)
    {
        var environment = ServiceEnvironment.For("postgres://antenna:topsecret@127.0.0.1:1");

        var (exitCode, stdout, stderr) = await NativeBinary.RunAsync(environment, s_timeout, command);

        Assert.Equal(2, exitCode);
        Assert.Equal(string.Empty, stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("antenna-ingest: invalid setting DATABASE_URL: has no database name (postgres://user:pass@host:port/dbname)", line);
        Assert.DoesNotContain("topsecret", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_answers_healthz_readyz_and_metrics_and_exits_zero_on_sigterm()
    {
        await using var database = await TestDatabase.CreateAsync();
        var port = LoopbackPorts.Free();
        await using var binary = NativeBinary.Start(ServiceEnvironment.For(database.PgbouncerUrl, port), "run");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };

        await binary.WaitUntilAsync(async () => await StatusAsync(http, "readyz") == HttpStatusCode.OK, s_timeout, "/readyz 200");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "healthz"));
        var metrics = await http.GetStringAsync("metrics");
        Assert.Contains("# TYPE antenna_ingest_in_flight gauge", metrics, StringComparison.Ordinal);
        Assert.Contains("antenna_ingest_dependency_up{dependency=\"postgres\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("antenna_ingest_db_connections_open", metrics, StringComparison.Ordinal);
        Assert.Contains("antenna_ingest_db_requests_waiting 0", metrics, StringComparison.Ordinal);
        // Idle: nothing waits, and the probe's two waits are reported apart.
        Assert.Matches(@"(?m)^postgres ok: 0/\d+ pooled connections in use, 0 requests waiting for one \(waited \d+\.\d\d s\); SELECT 1 took \d+\.\d\d s on its connection$", await http.GetStringAsync("readyz"));
        var environment = ServiceEnvironment.For(database.PgbouncerUrl, port);
        Assert.Equal(0, (await NativeBinary.RunAsync(environment, s_timeout, "healthcheck")).ExitCode);
        Assert.Equal(0, (await NativeBinary.RunAsync(environment, s_timeout, "healthcheck", "--path", "/readyz")).ExitCode);

        binary.Terminate();
        Assert.Equal(0, await binary.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("antenna:antenna@", binary.Stdout + binary.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthcheck_fails_when_nothing_listens()
    {
        var (exitCode, _, stderr) = await NativeBinary.RunAsync(ServiceEnvironment.For("postgres://a:b@127.0.0.1:1/x", LoopbackPorts.Free()), s_timeout, "healthcheck");

        Assert.Equal(1, exitCode);
        Assert.Contains("unreachable", stderr, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
