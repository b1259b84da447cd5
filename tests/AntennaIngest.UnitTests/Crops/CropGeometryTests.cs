using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Crops;

namespace AntennaIngest.UnitTests.Crops;

public sealed class CropGeometryTests
{
    [Theory]
    [InlineData(10.7, 20.2, 60.9, 80.5, 10, 20, 50, 60)]   // int() truncation, end-exclusive
    [InlineData(-5, -3.5, 30, 1000, 0, 0, 30, 100)]        // clamped to the image
    [InlineData(0, 0, 200, 100, 0, 0, 200, 100)]           // the whole image
    [InlineData(199.5, 99.5, 250, 120, 199, 99, 1, 1)]     // clamped at the far edge
    public void Boxes_are_clamped_then_truncated_like_python(double x1, double y1, double x2, double y2, int left, int top, int width, int height)
    {
        Assert.True(CropGeometry.TryCompute(new BoundingBox(x1, y1, x2, y2), 200, 100, out var rect, out var error));
        Assert.Null(error);
        Assert.Equal(new PixelRect(left, top, width, height), rect);
    }

    [Theory]
    [InlineData(50, 50, 50, 90, "zero area")]      // x1 == x2
    [InlineData(60, 10, 40, 30, "zero area")]      // reversed box
    [InlineData(300, 10, 400, 30, "zero area")]    // entirely outside
    [InlineData(10.2, 10, 10.9, 30, "empty")]      // area before truncation, none after
    public void Boxes_without_pixels_are_errors(double x1, double y1, double x2, double y2, string problem)
    {
        Assert.False(CropGeometry.TryCompute(new BoundingBox(x1, y1, x2, y2), 200, 100, out _, out var error));
        Assert.Contains(problem, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_follow_antennas_save_crop()
    {
        Assert.Equal("detections/7/2024-06-01/20240601021344-snapshot_detection_42.jpg", CropNames.Key(7, new DateOnly(2024, 6, 1), "trap-7/2024-06-01/20240601021344-snapshot.jpg", 42));
        Assert.Equal("detections/7/unknown_date/img_detection_3.jpg", CropNames.Key(7, null, "img", 3));
    }

    [Fact]
    public void A_taken_name_gets_djangos_random_suffix()
    {
        var name = CropNames.WithSuffix("detections/7/2024-06-01/a_detection_1.jpg", new Random(1));

        Assert.Matches(@"^detections/7/2024-06-01/a_detection_1_[A-Za-z0-9]{7}\.jpg$", name);
    }
}
