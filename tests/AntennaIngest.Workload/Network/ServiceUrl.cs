namespace AntennaIngest.Workload.Network;

/// <summary>
/// The host and port of a service URL, and the same URL pointed at a loopback port with every
/// other character kept as written (a vhost's %2F or a password's escapes must survive).
/// </summary>
public static class ServiceUrl
{
    public static (string Host, int Port) Target(string url)
    {
        var uri = new Uri(url);
        return (uri.Host, uri.Port > 0 ? uri.Port : DefaultPort(uri.Scheme));
    }

    public static string WithLoopbackPort(string url, int port)
    {
        var authorityStart = url.IndexOf("://", StringComparison.Ordinal) + 3;
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], authorityStart);
        if (authorityEnd < 0)
        {
            authorityEnd = url.Length;
        }

        var hostStart = url.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart) + 1;
        hostStart = Math.Max(hostStart, authorityStart);
        return $"{url[..hostStart]}127.0.0.1:{port}{url[authorityEnd..]}";
    }

    private static int DefaultPort(string scheme) => scheme switch
    {
        "postgres" or "postgresql" => 5432,
        "redis" or "rediss" => 6379,
        "nats" or "tls" => 4222,
        "amqp" => 5672,
        "amqps" => 5671,
        _ => throw new ArgumentException($"no default port known for {scheme}://", nameof(scheme)),
    };
}
