using AntennaIngest.Core.Contracts;

namespace AntennaIngest.Core.Crops;

/// <summary>Pixel rectangle of a crop: left, top, width, height.</summary>
public readonly record struct PixelRect(int Left, int Top, int Width, int Height);

/// <summary>
/// Antenna's crop_detection geometry: the box is clamped to the image, a box with no area after
/// clamping is an error, then the corners are truncated like Python's int() (toward zero) and the
/// slice is end-exclusive. A slice that truncates to nothing is the "empty crop" error Antenna
/// raises after slicing.
/// </summary>
public static class CropGeometry
{
    public static bool TryCompute(BoundingBox box, int width, int height, out PixelRect rect, out string? error)
    {
        var x1 = Math.Max(0, box.X1);
        var y1 = Math.Max(0, box.Y1);
        var x2 = Math.Min(width, box.X2);
        var y2 = Math.Min(height, box.Y2);
        rect = default;
        if (x1 >= x2 || y1 >= y2)
        {
            error = $"Bounding box has zero area. Bounding box: [{box.X1}, {box.Y1}, {box.X2}, {box.Y2}] Width: {x2 - x1} Height: {y2 - y1}";
            return false;
        }

        var left = (int)Math.Truncate(x1);
        var top = (int)Math.Truncate(y1);
        var right = (int)Math.Truncate(x2);
        var bottom = (int)Math.Truncate(y2);
        if (right <= left || bottom <= top)
        {
            error = "Cropped image is empty";
            return false;
        }

        rect = new PixelRect(left, top, right - left, bottom - top);
        error = null;
        return true;
    }
}
