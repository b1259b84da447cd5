using System.Globalization;

namespace AntennaIngest.Core.Crops;

/// <summary>Antenna's crop storage names (ami/ml/media.py save_crop) and Django's way around a taken name.</summary>
public static class CropNames
{
    private const string Alphanumerics = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>detections/{project}/{YYYY-MM-DD or unknown_date}/{source basename without extension}_detection_{id}.jpg</summary>
    public static string Key(long projectId, DateOnly? localDate, string sourcePath, long detectionId)
    {
        var basename = sourcePath.Replace('\\', '/');
        basename = basename[(basename.LastIndexOf('/') + 1)..];
        var dot = basename.LastIndexOf('.');
        var root = dot > 0 ? basename[..dot] : basename;
        var day = localDate is { } date ? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "unknown_date";
        return string.Create(CultureInfo.InvariantCulture, $"detections/{projectId}/{day}/{root}_detection_{detectionId}.jpg");
    }

    /// <summary>Django's get_available_name: "_" and 7 random alphanumerics before the extension.</summary>
    public static string WithSuffix(string name, Random random)
    {
        var slash = name.LastIndexOf('/');
        var dot = name.LastIndexOf('.');
        var (root, extension) = dot > slash ? (name[..dot], name[dot..]) : (name, string.Empty);
        Span<char> suffix = stackalloc char[7];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = Alphanumerics[random.Next(Alphanumerics.Length)];
        }

        return $"{root}_{suffix}{extension}";
    }
}
