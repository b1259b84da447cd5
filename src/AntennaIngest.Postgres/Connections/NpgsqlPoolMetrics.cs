using System.Diagnostics.Metrics;

namespace AntennaIngest.Postgres.Connections;

/// <summary>
/// Reads Npgsql's own connection-pool instruments (meter "Npgsql") so /metrics can report
/// connections in use and open without wrapping every connection.
/// </summary>
public sealed class NpgsqlPoolMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _used;
    private long _idle;

    public NpgsqlPoolMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.Name is "db.client.connection.count" or "db.client.connections.usage")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, tags, _) => Record(value, tags));
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Record(value, tags));
        _listener.Start();
    }

    public (long Used, long Open) Read()
    {
        Interlocked.Exchange(ref _used, 0);
        Interlocked.Exchange(ref _idle, 0);
        _listener.RecordObservableInstruments();
        var used = Interlocked.Read(ref _used);
        return (used, used + Interlocked.Read(ref _idle));
    }

    public void Dispose() => _listener.Dispose();

    private void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key is "db.client.connection.state" or "state")
            {
                if (tag.Value as string == "used")
                {
                    Interlocked.Add(ref _used, value);
                }
                else if (tag.Value as string == "idle")
                {
                    Interlocked.Add(ref _idle, value);
                }
            }
        }
    }
}
