using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using AntennaIngest.Testing;

namespace AntennaIngest.Workload.Chaos;

/// <summary>
/// `tls`: the binary reaches all four services over verified TLS with the test CA
/// scripts/services.sh made (PostgreSQL through a pgbouncer of the scenario's own that serves
/// TLS to its clients, Redis's and RabbitMQ's TLS ports, a TLS-only nats-server) and with a
/// password of its own on each. It must drain a backlog as on plain connections; a wrong CA or a
/// host name the certificate does not name must stop it at once with exit code 3 and a line
/// naming the service; and no password may appear in anything it wrote.
/// </summary>
public static partial class TlsScenario
{
    // ExitCodes.CertificateRefused in the binary.
    private const int CertificateRefusedExit = 3;

    private static readonly TimeSpan s_refusalLimit = TimeSpan.FromSeconds(40);

    public static async Task<ScenarioResult> RunAsync(ChaosSettings settings)
    {
        var tlsDirectory = Environment.GetEnvironmentVariable("INGEST_TLS_DIR") ?? string.Empty;
        var redisTlsPort = Port("INGEST_REDIS_TLS_PORT");
        var rabbitTlsPort = Port("INGEST_RABBITMQ_TLS_PORT");
        if (!File.Exists(Path.Combine(tlsDirectory, "ca.pem")) || !await ListeningAsync(redisTlsPort) || !await ListeningAsync(rabbitTlsPort))
        {
            return Failed($"no test CA in INGEST_TLS_DIR or no TLS port on Redis ({redisTlsPort}) / RabbitMQ ({rabbitTlsPort}): services started before TLS support need `scripts/services.sh restart redis` and `restart rabbitmq`");
        }

        var directory = Path.Combine(settings.Out, "tls");
        var secrets = Secrets.Random();
        const string NatsUser = "ingest_tls";
        var trusted = Path.Combine(tlsDirectory, "ca.pem");
        await using var nats = await PrivateNats.StartAsync(Path.Combine(directory, "nats"), tlsDirectory, NatsUser, secrets.Nats);
        var natsUrl = $"tls://{NatsUser}:{secrets.Nats}@localhost:{nats.Port}";
        using var environment = new ProcessEnvironment(new() { ["NATS_URL"] = natsUrl, ["NATS_CA"] = trusted });
        await using var world = await ChaosWorld.CreateAsync(settings, "tls", settings.Images);
        await using var users = await ServiceUsers.CreateAsync(world, secrets);
        await using var bouncer = await PrivatePgbouncer.StartAsync(
            settings,
            Path.Combine(directory, "pgbouncer"),
            world.Manifest.PgbouncerUrl,
            5,
            new Dictionary<string, string>
            {
                ["INGEST_PGBOUNCER_TLS"] = "true",
                ["INGEST_PGBOUNCER_EXTRA_USER"] = users.User,
                ["INGEST_PGBOUNCER_EXTRA_PASSWORD"] = secrets.Postgres,
            });

        var database = new Uri(world.Manifest.DirectUrl).AbsolutePath;
        var redisDatabase = new Uri(ServiceEndpoints.RedisUrl).AbsolutePath;
        var good = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = $"postgres://{users.User}:{secrets.Postgres}@localhost:{bouncer.Port}{database}?sslmode=verify-full&sslrootcert={trusted}",
            ["REDIS_URL"] = $"rediss://{users.User}:{secrets.Redis}@localhost:{redisTlsPort}{redisDatabase}?ssl_ca_certs={trusted}",
            ["NATS_URL"] = natsUrl,
            ["NATS_CA"] = trusted,
            ["CELERY_BROKER_URL"] = $"amqps://{users.User}:{secrets.Rabbitmq}@localhost:{rabbitTlsPort}/?cacertfile={trusted}",
        };

        var outputs = new List<string>();
        var (checkExit, checkOutput) = await RunAsync(world, ["check"], good);
        var (_, settingsOutput) = await RunAsync(world, ["settings"], good);
        outputs.AddRange([checkOutput, settingsOutput]);

        // A backlog over TLS, with /metrics and /readyz read while it runs.
        var httpPort = LoopbackPorts.Free();
        world.StartBinary(new(good) { ["INGEST_HTTP_PORT"] = httpPort.ToString(CultureInfo.InvariantCulture) });
        await world.EnqueueAsync();
        var drained = await ChaosWorld.WaitAsync(() => world.AllAcked, TimeSpan.FromSeconds(180));
        outputs.Add(await ScrapeAsync(httpPort, "metrics"));
        outputs.Add(await ScrapeAsync(httpPort, "readyz"));
        var exit = await world.TerminateAsync(TimeSpan.FromSeconds(40));
        var tally = await world.TallyAsync();

        // Each service in turn with a CA that did not sign its certificate, then under a host name it does not name.
        var otherCa = Path.Combine(tlsDirectory, "other-ca.pem");
        var refusals = new List<(string Case, bool Ok, string Line)>();
        foreach (var (service, wrongCa, wrongHost) in Mistakes(good, otherCa))
        {
            foreach (var (kind, environmentOf) in new[] { ("CA", wrongCa), ("host name", wrongHost) })
            {
                var (code, output) = await RunAsync(world, ["run"], environmentOf, s_refusalLimit);
                await File.WriteAllTextAsync(Path.Combine(world.Directory, $"ingest-refused-{service}-{kind.Replace(' ', '-')}.log"), output);
                var lines = output.Split('\n').Where(l => l.Contains("certificate was refused", StringComparison.Ordinal)).ToList();
                var named = lines.Select(l => RefusedService().Match(l).Groups[1].Value).ToHashSet(StringComparer.Ordinal);
                var refusedAsExpected = code == CertificateRefusedExit && named.SetEquals([service]);
                refusals.Add(($"{service} wrong {kind}", refusedAsExpected, $"{code}, refused: {string.Join('/', named)}: {lines.FirstOrDefault()?.Trim()}"));
            }
        }

        // A setting the binary rejects while the URL holds a password: the message must name the variable, not echo the password.
        var (badExit, badOutput) = await RunAsync(world, ["run"], new(good) { ["DATABASE_URL"] = $"postgres://{users.User}:{secrets.Postgres}@localhost:notaport{database}" });
        outputs.Add(badOutput);

        outputs.AddRange(System.IO.Directory.GetFiles(world.Directory, "ingest*.log").Select(File.ReadAllText));
        await File.WriteAllTextAsync(Path.Combine(world.Directory, "outputs.txt"), string.Join("\n----\n", outputs));
        var leaks = secrets.All().Where(s => outputs.Any(o => o.Contains(s.Password, StringComparison.Ordinal))).Select(s => s.Service).ToList();
        var refusedOk = refusals.Count(r => r.Ok);
        var ok = checkExit == 0 && drained && exit == 0 && refusedOk == refusals.Count && badExit == 2 && leaks.Count == 0;
        var failedCases = refusals.Where(r => !r.Ok).Select(r => $"{r.Case} → exit {r.Line}");
        return Scenarios.Result(
            world.Name,
            1,
            tally,
            null,
            ok,
            string.Create(CultureInfo.InvariantCulture, $"verify-full/rediss/tls/amqps with the test CA: check exit {checkExit}, backlog {(drained ? "drained" : "NOT drained")}, exit {exit}; refused with exit {CertificateRefusedExit} naming the service: {refusedOk}/{refusals.Count} (wrong CA and wrong host name × 4){(refusedOk == refusals.Count ? string.Empty : "; failed: " + string.Join("; ", failedCases))}; e.g. \"{Example(refusals)}\"; bad setting exit {badExit}; passwords found in logs, /metrics, /readyz, settings, check and error output: {(leaks.Count == 0 ? "none" : string.Join(", ", leaks))}"));
    }

    // For each service, the good settings with its CA swapped for the other one, and with its host written as 127.0.0.1.
    private static IEnumerable<(string Service, Dictionary<string, string> WrongCa, Dictionary<string, string> WrongHost)> Mistakes(Dictionary<string, string> good, string otherCa)
    {
        var trusted = good["NATS_CA"];
        (string Service, string Variable, string? CaVariable)[] routes =
        [
            ("postgres", "DATABASE_URL", null),
            ("redis", "REDIS_URL", null),
            ("nats", "NATS_URL", "NATS_CA"),
            ("rabbitmq", "CELERY_BROKER_URL", null),
        ];
        foreach (var (service, variable, caVariable) in routes)
        {
            var wrongCa = new Dictionary<string, string>(good);
            if (caVariable is null)
            {
                wrongCa[variable] = good[variable].Replace(trusted, otherCa, StringComparison.Ordinal);
            }
            else
            {
                wrongCa[caVariable] = otherCa;
            }

            var wrongHost = new Dictionary<string, string>(good) { [variable] = good[variable].Replace("@localhost:", "@127.0.0.1:", StringComparison.Ordinal) };
            yield return (service, wrongCa, wrongHost);
        }
    }

    private static string Example(List<(string Case, bool Ok, string Line)> refusals) =>
        refusals.FirstOrDefault(r => r.Ok).Line is { Length: > 0 } line ? (line.Length > 300 ? line[..300] + "…" : line) : "none";

    /// <summary>Runs the binary once with the world's settings and <paramref name="environment"/>; its exit code and everything it printed.</summary>
    private static async Task<(int Exit, string Output)> RunAsync(ChaosWorld world, string[] arguments, Dictionary<string, string> environment, TimeSpan? limit = null)
    {
        var start = new ProcessStartInfo(world.Settings.Binary, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["INGEST_CELERY_QUEUE"] = world.Queue;
        start.Environment["INGEST_HTTP_PORT"] = "0";
        // A run that should have refused to start but did not must not crop into the working directory.
        start.Environment["INGEST_CROPS"] = "false";
        start.Environment["MEDIA_ROOT"] = Path.Combine(world.Directory, "media");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, await output + await errors + "\n(still running after " + (limit ?? TimeSpan.FromSeconds(60)).TotalSeconds + " s: killed)");
        }

        return (process.ExitCode, await output + await errors);
    }

    private static async Task<string> ScrapeAsync(int port, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/{path}"));
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
    }

    private static int Port(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var port) ? port : 0;

    private static async Task<bool> ListeningAsync(int port)
    {
        if (port == 0)
        {
            return false;
        }

        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // "crit: AntennaIngest[1005] not starting: redis: …" → redis
    [System.Text.RegularExpressions.GeneratedRegex(@"not starting: (\w+):")]
    private static partial System.Text.RegularExpressions.Regex RefusedService();

    private static ScenarioResult Failed(string why) => new("tls", 1, 0, 0, 0, 0, null, false, why);
}

/// <summary>
/// Sets environment variables of this process for a scenario's lifetime (its world reads the
/// service URLs from there) and puts the old values back on dispose.
/// </summary>
public sealed class ProcessEnvironment : IDisposable
{
    private readonly Dictionary<string, string?> _previous = new(StringComparer.Ordinal);

    public ProcessEnvironment(Dictionary<string, string> values)
    {
        foreach (var (key, value) in values)
        {
            _previous[key] = Environment.GetEnvironmentVariable(key);
            Environment.SetEnvironmentVariable(key, value);
        }
    }

    public void Dispose()
    {
        foreach (var (key, value) in _previous)
        {
            Environment.SetEnvironmentVariable(key, value);
        }
    }
}
