using System.Diagnostics;
using System.Globalization;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Imaging.Pool;
using SkiaSharp;

// Crops/s and images/s per core for a 12-megapixel JPEG with 10 detections, through the real
// pool (decode once, crop, encode JPEG q75), with 1 thread and with one thread per core, and the
// peak RSS while the pool is saturated. Bounded: --images N per run (default 40).
var images = args.Length > 1 && args[0] == "--images" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
using var bitmap = new SKBitmap(new SKImageInfo(4000, 3000, SKColorType.Rgba8888, SKAlphaType.Opaque));
var random = new Random(1);
for (var y = 0; y < 3000; y += 4)
{
    for (var x = 0; x < 4000; x += 4)
    {
        var color = new SKColor((byte)(x / 16), (byte)(y / 12), (byte)random.Next(256));
        for (var dy = 0; dy < 4; dy++)
        {
            for (var dx = 0; dx < 4; dx++)
            {
                bitmap.SetPixel(x + dx, y + dy, color);
            }
        }
    }
}

byte[] jpeg;
using (var image = SKImage.FromBitmap(bitmap))
using (var data = image.Encode(SKEncodedImageFormat.Jpeg, 90))
{
    jpeg = data.ToArray();
}

var boxes = Enumerable.Range(0, 10).Select(i => ((long)i, new BoundingBox(i * 350, i * 250, (i * 350) + 300, (i * 250) + 240))).ToList();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"crop bench: 4000x3000 JPEG ({jpeg.Length / 1e6:F1} MB), 10 detections of 300x240, {images} images per run, {Environment.ProcessorCount} cores"));
foreach (var threads in new[] { 1, Environment.ProcessorCount }.Distinct())
{
    using var pool = new CropPool(threads, threads * 2, 1024L * 1024 * 1024);
    await pool.CropAsync(jpeg, boxes, 75, CancellationToken.None); // warm-up
    var peak = 0L;
    using var sampling = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        while (!sampling.IsCancellationRequested)
        {
            peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);
            await Task.Delay(20);
        }
    });
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    var crops = await Task.WhenAll(Enumerable.Range(0, images).Select(_ => pool.CropAsync(jpeg, boxes, 75, CancellationToken.None)));
    clock.Stop();
    await sampling.CancelAsync();
    await sampler;
    var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    var made = crops.Sum(c => c.Count(o => o.Jpeg is not null));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{threads} thread(s): {images / clock.Elapsed.TotalSeconds:F2} images/s, {made / clock.Elapsed.TotalSeconds:F1} crops/s; per core: {images / cpuSeconds:F2} images/s, {made / cpuSeconds:F1} crops/s; peak RSS {peak / 1048576} MB"));
}
