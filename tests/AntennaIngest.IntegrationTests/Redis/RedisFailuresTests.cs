using AntennaIngest.Redis.Connections;
using StackExchange.Redis;

namespace AntennaIngest.IntegrationTests.Redis;

public sealed class RedisFailuresTests
{
    [Theory]
    [InlineData("LOADING Redis is loading the dataset in memory", true)]
    [InlineData("EXECABORT Transaction discarded because of previous errors.", true)]
    [InlineData("READONLY You can't write against a read only replica.", true)]
    [InlineData("WRONGTYPE Operation against a key holding the wrong kind of value", false)]
    [InlineData("ERR unknown command 'FOO'", false)]
    public void Server_errors_of_a_server_that_cannot_answer_yet_are_transient_and_bugs_are_not(string message, bool transient)
    {
        // The message-only constructor: the classification reads the server's error text alone.
#pragma warning disable CS0618
        var exception = new RedisServerException(message);
#pragma warning restore CS0618
        Assert.Equal(transient, RedisFailures.IsTransient(exception));
    }
}
