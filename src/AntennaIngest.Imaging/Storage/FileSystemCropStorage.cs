using AntennaIngest.Core.Crops;
using AntennaIngest.Core.Processing;

namespace AntennaIngest.Imaging.Storage;

/// <summary>
/// Django's FileSystemStorage under MEDIA_ROOT: the relative name is what Detection.path stores.
/// A full disk (or a folder the process may not write) makes the store unavailable rather than
/// failing the crop: the half-written file is removed and crops pause until it can be written.
/// </summary>
public sealed class FileSystemCropStorage(string root) : ICropStorage
{
    public const string Dependency = "crop-storage";

    // errno values for "no space left on device", "read-only file system" and "disk quota exceeded" (IOException.HResult on Unix).
    private const int NoSpace = 28;
    private const int ReadOnly = 30;
    private const int QuotaExceeded = 122;

    public async Task<string> SaveAsync(string name, byte[] jpeg, CancellationToken cancellationToken)
    {
        var candidate = name;
        for (var attempt = 0; ; attempt++)
        {
            var path = Path.Combine(root, candidate);
            var created = false;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);

                // CreateNew: an existing file is never replaced, even by a concurrent writer.
                await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
                {
                    created = true;
                    await file.WriteAsync(jpeg, cancellationToken);
                }

                return candidate;
            }
            catch (Exception e) when (e is IOException { HResult: NoSpace or ReadOnly or QuotaExceeded } or UnauthorizedAccessException)
            {
                if (created)
                {
                    File.Delete(path); // a cut-short JPEG must not stay behind under a name a retry would avoid
                }

                throw new DependencyUnavailableException(Dependency, e is IOException { HResult: NoSpace or QuotaExceeded } ? $"no space left under {root}: {e.Message}" : $"cannot write under {root}: {e.Message}", e);
            }
            catch (IOException) when (!created && File.Exists(path) && attempt < 100)
            {
                candidate = CropNames.WithSuffix(name, Random.Shared);
            }
        }
    }
}
