namespace AntennaIngest.Core.Contracts;

/// <summary>
/// A timestamp from a result as pydantic v1 parsed it. A naive value is a wall-clock time in
/// Django's TIME_ZONE (Antenna stores it as that local time); an aware one is an instant.
/// </summary>
/// <param name="Value">Naive wall-clock time (Kind Unspecified), or the instant in UTC (Kind Utc).</param>
/// <param name="IsoText">Python's datetime.isoformat() of the parsed value (used where Antenna stores the text).</param>
public readonly record struct ResultTimestamp(DateTime Value, string IsoText)
{
    public bool IsAware => Value.Kind == DateTimeKind.Utc;
}
