using System.Globalization;
using System.Text;
using AntennaIngest.Core.Intake;
using RabbitMQ.Client;

namespace AntennaIngest.Amqp.Intake;

/// <summary>Reads the Celery protocol v2 headers the decoder needs; AMQP strings arrive as byte[].</summary>
internal static class CeleryHeaders
{
    public static (MessageMetadata Metadata, int Retries) Read(IReadOnlyBasicProperties properties, string? routingKey)
    {
        var headers = properties.Headers;
        var retries = 0;
        if (Get(headers, "retries") is { } raw)
        {
            retries = raw switch
            {
                int value => value,
                long value => (int)Math.Clamp(value, 0, int.MaxValue),
                byte value => value,
                short value => value,
                _ => int.TryParse(Text(raw), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0,
            };
        }

        return (new MessageMetadata(
            Text(Get(headers, "task")),
            Text(Get(headers, "id")) ?? properties.CorrelationId,
            Text(Get(headers, "compression")),
            Time(Get(headers, "eta")),
            Time(Get(headers, "expires")),
            properties.ContentType)
        {
            Celery = new CeleryEnvelope(
                routingKey,
                properties.ReplyTo,
                properties.CorrelationId,
                Text(Get(headers, "parent_id")),
                Text(Get(headers, "root_id")),
                Text(Get(headers, "group")),
                Text(Get(headers, "argsrepr")),
                Text(Get(headers, "kwargsrepr"))),
        }, Math.Max(0, retries));
    }

    private static object? Get(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) ? value : null;

    private static string? Text(object? value) => value switch
    {
        null => null,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static DateTimeOffset? Time(object? value)
    {
        var text = Text(value);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        // Celery writes isoformat(); a naive value is UTC (Celery's default timezone).
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
    }
}
