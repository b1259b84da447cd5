namespace AntennaIngest.Imaging.Storage;

/// <summary>
/// Where crops go. Never overwrites: a taken name gets a suffix, and the stored name is returned.
/// A store that cannot take crops right now (full, failing, unreachable) throws
/// <see cref="Core.Processing.DependencyUnavailableException"/> and crops pause; a store that
/// answers but refuses the object throws <see cref="CropStoreRefusedException"/>, an error of that
/// detection's crop.
/// </summary>
public interface ICropStorage
{
    Task<string> SaveAsync(string name, byte[] jpeg, CancellationToken cancellationToken);
}

/// <summary>The store answered and refused the crop (access denied, no such bucket): retrying will not help.</summary>
public sealed class CropStoreRefusedException(string message, Exception innerException) : Exception(message, innerException);
