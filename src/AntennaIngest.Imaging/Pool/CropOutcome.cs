namespace AntennaIngest.Imaging.Pool;

/// <summary>One detection's crop: the JPEG bytes, or why it could not be made.</summary>
public sealed record CropOutcome(long DetectionId, byte[]? Jpeg, string? Error);
