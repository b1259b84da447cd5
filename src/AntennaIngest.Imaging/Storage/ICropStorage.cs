namespace AntennaIngest.Imaging.Storage;

/// <summary>Where crops go. Never overwrites: a taken name gets a suffix, and the stored name is returned.</summary>
public interface ICropStorage
{
    Task<string> SaveAsync(string name, byte[] jpeg, CancellationToken cancellationToken);
}
