using System.Globalization;
using SkiaSharp;

namespace AntennaIngest.Workload.Setup;

/// <summary>
/// A small pool of JPEGs of varied sizes (trap cameras range from webcams to 4K), drawn locally:
/// a dark gradient with pale moth-like ellipses. Source images share pool files; the file a path
/// names is given by its `_p{n}.jpg` suffix, which the image server reads.
/// </summary>
public static class ImagePool
{
    public static readonly (int Width, int Height)[] Sizes =
    [
        (1920, 1080), (2048, 1536), (1280, 960), (4096, 2160), (3264, 2448), (1600, 1200), (2592, 1944), (1024, 768),
    ];

    public static string FileName(int poolIndex) => string.Create(CultureInfo.InvariantCulture, $"pool_{poolIndex}.jpg");

    /// <summary>Writes the pool into <paramref name="directory"/> (skips files already there) and returns their sizes.</summary>
    public static IReadOnlyList<(int Width, int Height, long Bytes)> Ensure(string directory, int seed)
    {
        Directory.CreateDirectory(directory);
        var result = new List<(int, int, long)>();
        for (var i = 0; i < Sizes.Length; i++)
        {
            var path = Path.Combine(directory, FileName(i));
            var (width, height) = Sizes[i];
            if (!File.Exists(path))
            {
                var temp = path + ".tmp";
                File.WriteAllBytes(temp, Draw(width, height, seed + i));
                File.Move(temp, path, overwrite: true);
            }

            result.Add((width, height, new FileInfo(path).Length));
        }

        return result;
    }

    /// <summary>The pool index encoded in a source image path, or -1.</summary>
    public static int PoolIndexOf(string path)
    {
        var marker = path.LastIndexOf("_p", StringComparison.Ordinal);
        var end = path.LastIndexOf(".jpg", StringComparison.Ordinal);
        return marker >= 0 && end > marker + 2 && int.TryParse(path.AsSpan(marker + 2, end - marker - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : -1;
    }

    private static byte[] Draw(int width, int height, int seed)
    {
        var random = new Random(seed);
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height), [new SKColor(20, 24, 40), new SKColor(60, 70, 90)], SKShaderTileMode.Clamp))
        using (var background = new SKPaint { Shader = shader })
        {
            canvas.DrawRect(0, 0, width, height, background);
        }

        using var paint = new SKPaint { IsAntialias = true };
        var count = 40 + random.Next(80);
        for (var i = 0; i < count; i++)
        {
            paint.Color = new SKColor((byte)(150 + random.Next(100)), (byte)(120 + random.Next(100)), (byte)(80 + random.Next(100)));
            var cx = random.Next(width);
            var cy = random.Next(height);
            var rx = 10 + random.Next(90);
            canvas.DrawOval(cx, cy, rx, rx * (0.4f + (float)random.NextDouble()), paint);
        }

        // Sensor-like noise keeps the JPEG from compressing to nothing.
        using var noise = SKShader.CreatePerlinNoiseFractalNoise(0.8f, 0.8f, 2, seed);
        using var grain = new SKPaint { Shader = noise, BlendMode = SKBlendMode.Overlay, Color = SKColors.White.WithAlpha(60) };
        canvas.DrawRect(0, 0, width, height, grain);

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 85);
        return data.ToArray();
    }
}
