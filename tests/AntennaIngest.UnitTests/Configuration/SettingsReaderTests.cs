using AntennaIngest.Core.Configuration;

namespace AntennaIngest.UnitTests.Configuration;

public sealed class SettingsReaderTests
{
    private static IngestSettings Read(params (string Name, string Value)[] values) =>
        new SettingsReader(values.ToDictionary(v => v.Name, v => (string?)v.Value)).Read();

    private static SettingsException Fails(params (string Name, string Value)[] values) =>
        Assert.Throws<SettingsException>(() => Read(values));

    [Fact]
    public void Every_setting_has_a_default_that_reads()
    {
        var settings = Read();

        Assert.Equal(IntakeMode.Celery, settings.Processing.Intake);
        Assert.Equal(1000, settings.Processing.MaxInFlight);
        Assert.Equal(8, settings.Database.Connections);
        Assert.False(settings.Database.Prepare);
        Assert.Equal("America/New_York", settings.Database.TimeZone);
        Assert.Equal(Environment.ProcessorCount, settings.Crops.Threads);
        Assert.Equal(75, settings.Crops.JpegQuality);
        Assert.Equal(9480, settings.Http.Port);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.Processing.ShutdownTimeout);
        Assert.Equal(LogFormat.Text, settings.Logging.Format);
        Assert.Equal("ml_results", settings.Celery.Queue);
        Assert.Null(settings.Crops.S3);
    }

    [Fact]
    public void Database_url_in_Antennas_form_becomes_an_npgsql_keyword_string_and_a_redacted_name()
    {
        var settings = Read(("DATABASE_URL", "postgres://django:s3cr%3Bet@db.internal:6432/antenna?sslmode=require"));

        Assert.Equal("Host=db.internal;Port=6432;Database=antenna;Username=django;Password=\"s3cr;et\";SSL Mode=require", settings.Database.ConnectionString);
        Assert.Equal("postgres://django:***@db.internal:6432/antenna", settings.Database.Redacted);
        Assert.DoesNotContain("s3cr", settings.Database.Redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Database_url_may_be_an_npgsql_keyword_string_whose_password_is_redacted()
    {
        var settings = Read(("DATABASE_URL", "Host=localhost;Database=antenna;Password=hunter2"));

        Assert.Equal("Host=localhost;Database=antenna;Password=hunter2", settings.Database.ConnectionString);
        Assert.Equal("Host=localhost;Database=antenna;Password=***", settings.Database.Redacted);
    }

    [Theory]
    [InlineData("mysql://u:p@h/db", "scheme 'mysql'")]
    [InlineData("postgres://u:p@host", "no database name")]
    [InlineData("not a url", "neither a postgres:// URL")]
    [InlineData("postgres://u:p@h/db?weird=1", "query parameter 'weird'")]
    public void Malformed_database_url_names_the_variable_and_the_problem_without_the_password(string url, string problem)
    {
        var error = Fails(("DATABASE_URL", url));

        Assert.Equal("DATABASE_URL", error.Variable);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("DATABASE_URL: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "redis://:pw@redis:6380/3", ResultBackendKind.Redis, 1)]
    [InlineData(null, "redis://redis", ResultBackendKind.Redis, 1)]
    [InlineData("redis://other:6379/5", "redis://redis/0", ResultBackendKind.Redis, 5)]
    [InlineData("rpc://", "redis://redis/0", ResultBackendKind.Rpc, -1)]
    public void Celery_result_backend_is_derived_as_antenna_derives_it(string? backend, string redisUrl, ResultBackendKind kind, int database)
    {
        var settings = Read(("CELERY_RESULT_BACKEND", backend ?? ""), ("REDIS_URL", redisUrl)).Celery;

        Assert.Equal(kind, settings.Results!.Kind);
        Assert.Equal(database, settings.Results.Redis?.Database ?? -1);
        Assert.Equal(TimeSpan.FromHours(72), settings.Results.Expires);
        Assert.True(settings.Events);
    }

    [Fact]
    public void Unsupported_celery_result_backend_names_the_variable()
    {
        Assert.Equal("CELERY_RESULT_BACKEND", Fails(("CELERY_RESULT_BACKEND", "django-db")).Variable);
    }

    [Fact]
    public void Redis_url_selects_the_database_number()
    {
        var settings = Read(("REDIS_URL", "redis://:pw@redis:6380/3"));

        Assert.Equal(3, settings.Redis.Database);
        Assert.Equal("redis:6380,defaultDatabase=3,abortConnect=false,password=pw", settings.Redis.Configuration);
        Assert.Equal("redis://:***@redis:6380/3", settings.Redis.Redacted);
    }

    [Theory]
    [InlineData("REDIS_URL", "http://redis:6379/0")]
    [InlineData("REDIS_URL", "redis://redis:6379/x")]
    [InlineData("NATS_URL", "http://nats:4222")]
    [InlineData("CELERY_BROKER_URL", "redis://redis:6379/0")]
    [InlineData("TIME_ZONE", "New York")]
    [InlineData("INGEST_MAX_IN_FLIGHT", "0")]
    [InlineData("INGEST_MAX_IN_FLIGHT", "lots")]
    [InlineData("INGEST_DB_CONNECTIONS", "1")]
    [InlineData("INGEST_INTAKE", "kafka")]
    [InlineData("INGEST_LOG_FORMAT", "xml")]
    [InlineData("INGEST_DB_PREPARE", "maybe")]
    [InlineData("INGEST_HTTP_PORT", "70000")]
    [InlineData("INGEST_JETSTREAM_STREAM", "has space")]
    public void Invalid_values_stop_start_up_naming_the_variable(string variable, string value)
    {
        Assert.Equal(variable, Fails((variable, value)).Variable);
    }

    [Fact]
    public void S3_crop_storage_requires_its_credentials()
    {
        var error = Fails(("INGEST_CROP_STORAGE", "s3"));
        Assert.Equal("DJANGO_AWS_ACCESS_KEY_ID", error.Variable);

        var settings = Read(
            ("INGEST_CROP_STORAGE", "s3"),
            ("DJANGO_AWS_ACCESS_KEY_ID", "key"),
            ("DJANGO_AWS_SECRET_ACCESS_KEY", "secret"),
            ("DJANGO_AWS_STORAGE_BUCKET_NAME", "bucket"),
            ("DJANGO_AWS_S3_ENDPOINT_URL", "http://127.0.0.1:9000"));
        Assert.Equal("uploads", settings.Crops.S3!.Location);
        Assert.Equal("http://127.0.0.1:9000", settings.Crops.S3.EndpointUrl);
    }

    [Fact]
    public void Booleans_accept_djangos_spellings()
    {
        Assert.False(Read(("JOB_LOG_PERSIST_ENABLED", "False")).Database.JobLogPersist);
        Assert.True(Read(("JOB_LOG_PERSIST_ENABLED", "on")).Database.JobLogPersist);
        Assert.True(Read(("INGEST_DB_PREPARE", "1")).Database.Prepare);
    }

    [Fact]
    public void The_catalog_lists_every_variable_the_reader_uses_once()
    {
        var names = SettingsCatalog.All.Select(s => s.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(SettingsCatalog.All, s => Assert.False(string.IsNullOrWhiteSpace(s.Effect)));
    }
}
