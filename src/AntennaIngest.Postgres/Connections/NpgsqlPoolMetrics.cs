using System.Diagnostics.Metrics;

namespace AntennaIngest.Postgres.Connections;

/// <summary>
/// Reads Npgsql's own connection-pool instruments (meter "Npgsql") so /metrics and /readyz can
/// report connections in use, open, and requests waiting for one, without wrapping every connection.
/// </summary>
public sealed class NpgsqlPoolMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _reading = new();
    private long _used;
    private long _idle;

    // An up-down counter Npgsql moves on every change (not observed on demand): a running sum.
    private long _waiting;

    public NpgsqlPoolMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Npgsql" && (IsConnectionCount(instrument) || IsPendingRequests(instrument)))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public PoolUse Read()
    {
        lock (_reading) // a read resets the observed counts: one at a time (/metrics and /readyz both read)
        {
            Interlocked.Exchange(ref _used, 0);
            Interlocked.Exchange(ref _idle, 0);
            _listener.RecordObservableInstruments();
            var used = Interlocked.Read(ref _used);
            return new PoolUse(used, used + Interlocked.Read(ref _idle), Math.Max(0, Interlocked.Read(ref _waiting)));
        }
    }

    public void Dispose() => _listener.Dispose();

    // Npgsql 10 names first, then those of Npgsql 8-9.
    private static bool IsConnectionCount(Instrument instrument) => instrument.Name is "db.client.connection.count" or "db.client.connections.usage";

    private static bool IsPendingRequests(Instrument instrument) => instrument.Name is "db.client.connection.npgsql.pending_requests" or "db.client.connections.pending_requests";

    private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (IsPendingRequests(instrument))
        {
            Interlocked.Add(ref _waiting, value);
            return;
        }

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

/// <summary>The pool at one moment: connections checked out, open (busy or idle), and requests waiting for one.</summary>
public readonly record struct PoolUse(long Used, long Open, long Waiting);
