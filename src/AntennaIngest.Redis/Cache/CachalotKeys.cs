using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace AntennaIngest.Redis.Cache;

/// <summary>
/// django-cachalot's per-table invalidation entries as Antenna's Django cache stores them:
/// the key is cachalot's table key generator (sha1 of "{db alias}:{table}", hex) under Django's
/// key function (":{version}:{key}", empty KEY_PREFIX, VERSION 1), and the value is the moment
/// of the write as a Python float, pickled as django-redis pickles every non-integer value
/// (pickle protocol 4, Python's default). A cached query is served only while its own timestamp
/// is at least every one of its tables' timestamps.
/// </summary>
public static class CachalotKeys
{
    /// <summary>Django's database alias of Antenna's only database.</summary>
    public const string DatabaseAlias = "default";

    /// <summary>cachalot's default CACHALOT_UNCACHABLE_TABLES: never cached, never invalidated.</summary>
    private const string UncachableTable = "django_migrations";

    public static bool IsCachable(string table) => table != UncachableTable;

    public static string TableKey(string table)
    {
        ArgumentNullException.ThrowIfNull(table);
        // Not for security: cachalot names its keys by SHA-1, so the same digest finds the same key.
#pragma warning disable CA5350
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes($"{DatabaseAlias}:{table}"));
#pragma warning restore CA5350
        return ":1:" + Convert.ToHexStringLower(hash);
    }

    /// <summary>pickle.dumps(float(seconds), 4): PROTO 4, a FRAME of 10 bytes, BINFLOAT (big-endian), STOP.</summary>
    public static byte[] PickledTimestamp(DateTimeOffset moment)
    {
        var seconds = (moment - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;
        var value = new byte[21];
        value[0] = 0x80;
        value[1] = 4;
        value[2] = 0x95;
        BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(3, 8), 10);
        value[11] = (byte)'G';
        BinaryPrimitives.WriteDoubleBigEndian(value.AsSpan(12, 8), seconds);
        value[20] = (byte)'.';
        return value;
    }
}
