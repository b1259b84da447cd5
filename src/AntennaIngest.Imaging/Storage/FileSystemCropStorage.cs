using AntennaIngest.Core.Crops;

namespace AntennaIngest.Imaging.Storage;

/// <summary>Django's FileSystemStorage under MEDIA_ROOT: the relative name is what Detection.path stores.</summary>
public sealed class FileSystemCropStorage(string root) : ICropStorage
{
    public async Task<string> SaveAsync(string name, byte[] jpeg, CancellationToken cancellationToken)
    {
        var candidate = name;
        for (var attempt = 0; ; attempt++)
        {
            var path = Path.Combine(root, candidate);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                // CreateNew: an existing file is never replaced, even by a concurrent writer.
                await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
                await file.WriteAsync(jpeg, cancellationToken);
                return candidate;
            }
            catch (IOException) when (File.Exists(path) && attempt < 100)
            {
                candidate = CropNames.WithSuffix(name, Random.Shared);
            }
        }
    }
}
