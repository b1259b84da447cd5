using System.Net.Sockets;
using System.Text;
using AntennaIngest.Testing;

namespace AntennaIngest.EndToEndTests;

/// <summary>Type=notify support, checked against a notify socket of our own as systemd would provide.</summary>
public sealed class SystemdNotifyTests
{
    [Fact]
    public async Task Signals_ready_feeds_the_watchdog_and_says_stopping_on_sigterm()
    {
        await using var database = await TestDatabase.CreateAsync();
        var socketPath = Path.Combine(Path.GetTempPath(), $"notify-{Guid.NewGuid():N}.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var environment = ServiceEnvironment.For(database.PgbouncerUrl);
        environment["NOTIFY_SOCKET"] = socketPath;
        environment["WATCHDOG_USEC"] = "2000000";
        var received = new StringBuilder();

        try
        {
            await using var binary = NativeBinary.Start(environment, "run");
            await binary.WaitUntilAsync(() => Task.FromResult(Drain(socket, received).Contains("READY=1", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "READY=1");
            await binary.WaitUntilAsync(() => Task.FromResult(Count(Drain(socket, received), "WATCHDOG=1") >= 2), TimeSpan.FromSeconds(10), "two WATCHDOG=1");

            binary.Terminate();
            Assert.Equal(0, await binary.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            var all = Drain(socket, received);
            Assert.Contains("STOPPING=1", all, StringComparison.Ordinal);
            Assert.Contains("STATUS=processing", all, StringComparison.Ordinal);
            Assert.True(all.IndexOf("READY=1", StringComparison.Ordinal) < all.IndexOf("STOPPING=1", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    private static string Drain(Socket socket, StringBuilder received)
    {
        var buffer = new byte[4096];
        while (socket.Available > 0)
        {
            var read = socket.Receive(buffer);
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return received.ToString();
    }

    private static int Count(string text, string token)
    {
        var count = 0;
        for (var at = text.IndexOf(token, StringComparison.Ordinal); at >= 0; at = text.IndexOf(token, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
