using AntennaIngest.Workload.Network;

namespace AntennaIngest.IntegrationTests.Network;

public sealed class ServiceUrlTests
{
    [Theory]
    [InlineData("postgres://antenna:antenna@127.0.0.1:56432/antenna", "postgres://antenna:antenna@127.0.0.1:4000/antenna")]
    [InlineData("amqp://guest:p%40ss@rabbit.local:5672/%2F", "amqp://guest:p%40ss@127.0.0.1:4000/%2F")]
    [InlineData("redis://127.0.0.1:56379/0", "redis://127.0.0.1:4000/0")]
    [InlineData("nats://127.0.0.1:54222", "nats://127.0.0.1:4000")]
    [InlineData("redis://:secret@cache/1?ssl=false", "redis://:secret@127.0.0.1:4000/1?ssl=false")]
    public void A_url_pointed_at_a_proxy_keeps_everything_but_host_and_port(string url, string expected) =>
        Assert.Equal(expected, ServiceUrl.WithLoopbackPort(url, 4000));

    [Theory]
    [InlineData("redis://cache/1", "cache", 6379)]
    [InlineData("amqp://guest:guest@127.0.0.1:55672/", "127.0.0.1", 55672)]
    [InlineData("postgres://u:p@db/antenna", "db", 5432)]
    public void The_target_of_a_url_without_a_port_uses_the_scheme_default(string url, string host, int port) =>
        Assert.Equal((host, port), ServiceUrl.Target(url));
}
