using System.Security.Authentication;
using AntennaIngest.Core.Configuration;
using AntennaIngest.Core.Health;

namespace AntennaIngest.UnitTests.Configuration;

/// <summary>Where each connection's CA comes from, and how a refused certificate is told from an outage.</summary>
public sealed class TlsSettingsTests : IDisposable
{
    private readonly string _ca = Path.Combine(Path.GetTempPath(), $"ingest-test-ca-{Guid.NewGuid():N}.pem");

    public TlsSettingsTests() => File.WriteAllText(_ca, "not parsed by the reader");

    public void Dispose() => File.Delete(_ca);

    private static IngestSettings Read(params (string Name, string Value)[] values) =>
        new SettingsReader(values.ToDictionary(v => v.Name, v => (string?)v.Value)).Read();

    [Fact]
    public void Redis_ca_comes_from_the_urls_ssl_ca_certs_and_reaches_the_result_backend()
    {
        var settings = Read(("REDIS_URL", $"rediss://:pw@redis.internal:6380/3?ssl_ca_certs={_ca}"));

        Assert.Equal(_ca, settings.Redis.CaFile);
        Assert.Contains("ssl=true", settings.Redis.Configuration, StringComparison.Ordinal);
        Assert.Equal(1, settings.Celery.Results!.Redis!.Database);
        Assert.Equal(_ca, settings.Celery.Results.Redis.CaFile);
    }

    [Fact]
    public void Explicit_result_backend_keeps_its_ssl_ca_certs_and_ignores_celerys_own_options()
    {
        var settings = Read(("CELERY_RESULT_BACKEND", $"rediss://redis.internal:6380/2?ssl_cert_reqs=required&ssl_ca_certs={_ca}"));

        Assert.Equal(_ca, settings.Celery.Results!.Redis!.CaFile);
        Assert.Equal(2, settings.Celery.Results.Redis.Database);
    }

    [Fact]
    public void Plain_redis_url_with_a_ca_is_refused()
    {
        var error = Assert.Throws<SettingsException>(() => Read(("REDIS_URL", $"redis://redis.internal:6379/0?ssl_ca_certs={_ca}")));

        Assert.Contains("REDIS_URL", error.Message, StringComparison.Ordinal);
        Assert.Contains("rediss://", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Libpq_ssl_modes_become_npgsqls_names_with_the_root_certificate()
    {
        var settings = Read(("DATABASE_URL", $"postgres://u:p@db:5432/antenna?sslmode=verify-full&sslrootcert={_ca}"));

        Assert.Contains("SSL Mode=VerifyFull", settings.Database.ConnectionString, StringComparison.Ordinal);
        Assert.Contains($"Root Certificate={_ca}", settings.Database.ConnectionString, StringComparison.Ordinal);
        Assert.Contains("SSL Mode=VerifyCA", Read(("DATABASE_URL", "postgres://u:p@db:5432/antenna?sslmode=verify-ca")).Database.ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public void Nats_ca_comes_from_NATS_CA()
    {
        Assert.Equal(_ca, Read(("NATS_URL", "tls://nats.internal:4222"), ("NATS_CA", _ca)).Nats.CaFile);
        Assert.Null(Read().Nats.CaFile);
    }

    [Fact]
    public void Broker_ca_comes_from_rabbitmqs_cacertfile_and_is_taken_off_the_url()
    {
        var settings = Read(("CELERY_BROKER_URL", $"amqps://u:pw@rabbit.internal:5671/antenna?cacertfile={_ca}"));

        Assert.Equal(_ca, settings.Celery.CaFile);
        Assert.Equal(string.Empty, settings.Celery.BrokerUrl.Query);
        Assert.Equal("/antenna", settings.Celery.BrokerUrl.AbsolutePath);
        Assert.Throws<SettingsException>(() => Read(("CELERY_BROKER_URL", $"amqp://u:pw@rabbit.internal:5672/?cacertfile={_ca}")));
    }

    [Theory]
    [InlineData("CELERY_BROKER_URL", "amqps://u:p@rabbit:5671/?cacertfile={0}")]
    [InlineData("DATABASE_URL", "postgres://u:p@db:5432/antenna?sslmode=verify-full&sslrootcert={0}")]
    [InlineData("REDIS_URL", "rediss://redis:6380/0?ssl_ca_certs={0}")]
    [InlineData("NATS_CA", "{0}")]
    public void A_ca_file_that_does_not_exist_stops_start_up_naming_the_variable_and_the_path(string variable, string template)
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-ca-{Guid.NewGuid():N}.pem");

        var error = Assert.Throws<SettingsException>(() => Read((variable, string.Format(System.Globalization.CultureInfo.InvariantCulture, template, missing))));

        Assert.Contains(variable, error.Message, StringComparison.Ordinal);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(":p@", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_certificate_is_found_however_deep_the_client_wrapped_it()
    {
        var handshake = new AuthenticationException("The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot");
        var wrapped = new InvalidOperationException("connection failed", new AggregateException(new IOException("reset"), new IOException("handshake", handshake)));

        Assert.Equal(handshake.Message, CertificateRefusal.Find(wrapped));
        Assert.Null(CertificateRefusal.Find(new IOException("Connection refused", new System.Net.Sockets.SocketException(111))));
    }

    [Fact]
    public void A_failed_check_names_a_refused_certificate_and_where_trust_comes_from_but_an_outage_stays_an_outage()
    {
        var refused = DependencyStatus.Failed("nats", "cannot reach tls://nats:4222", new IOException("x", new AuthenticationException("RemoteCertificateNameMismatch")), "NATS_CA /etc/ca.pem");
        var down = DependencyStatus.Failed("nats", "cannot reach tls://nats:4222", new TimeoutException(), "NATS_CA /etc/ca.pem");

        Assert.Equal("RemoteCertificateNameMismatch", refused.RefusedCertificate);
        Assert.Contains("certificate was refused (RemoteCertificateNameMismatch)", refused.Detail, StringComparison.Ordinal);
        Assert.Contains("NATS_CA /etc/ca.pem", refused.Detail, StringComparison.Ordinal);
        Assert.Null(down.RefusedCertificate);
        Assert.False(down.Ok);
    }
}
