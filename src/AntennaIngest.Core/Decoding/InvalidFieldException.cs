namespace AntennaIngest.Core.Decoding;

/// <summary>A field failed validation; caught by the decoder and turned into a <see cref="RejectedMessage"/>.</summary>
internal sealed class InvalidFieldException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string Path { get; } = path;

    public string Reason { get; } = reason;
}
