using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Planning;

/// <summary>A bounding box as Antenna serializes it into main_detection.bbox: <c>[x1, y1, x2, y2]</c> via json.dumps.</summary>
public static class BboxJson
{
    public static string Format(BoundingBox box) =>
        $"[{PythonFloat.Repr(box.X1)}, {PythonFloat.Repr(box.Y1)}, {PythonFloat.Repr(box.X2)}, {PythonFloat.Repr(box.Y2)}]";

    /// <summary>jsonb has no NaN or infinities; such a box can never be stored.</summary>
    public static bool IsFinite(BoundingBox box) =>
        double.IsFinite(box.X1) && double.IsFinite(box.Y1) && double.IsFinite(box.X2) && double.IsFinite(box.Y2);
}
