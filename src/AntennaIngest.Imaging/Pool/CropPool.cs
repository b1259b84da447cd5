using System.Collections.Concurrent;
using AntennaIngest.Core.Contracts;
using AntennaIngest.Core.Crops;
using SkiaSharp;

namespace AntennaIngest.Imaging.Pool;

/// <summary>
/// Decode, crop and encode on a fixed set of dedicated threads fed by a bounded queue: async
/// callers await a completion and never run or block on Skia work. Each source is decoded once
/// for all its crops; a memory budget bounds the decoded pixels held at once (a large image waits
/// for room); native memory is released as soon as an image is done.
/// </summary>
public sealed class CropPool : IDisposable
{
    private readonly BlockingCollection<Work> _queue = new();
    private readonly SemaphoreSlim _slots;
    private readonly SemaphoreSlim _memoryMegabytes;
    private readonly int _budgetMegabytes;
    private readonly Thread[] _threads;
    private int _queued;

    public CropPool(int threads, int queueCapacity, long memoryBudgetBytes)
    {
        _slots = new SemaphoreSlim(queueCapacity, queueCapacity);
        _budgetMegabytes = (int)Math.Max(1, memoryBudgetBytes / (1024 * 1024));
        _memoryMegabytes = new SemaphoreSlim(_budgetMegabytes, _budgetMegabytes);
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = $"crop-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Images waiting for or being processed by the threads.</summary>
    public int Queued => Volatile.Read(ref _queued);

    public async Task<IReadOnlyList<CropOutcome>> CropAsync(byte[] source, IReadOnlyList<(long DetectionId, BoundingBox Box)> boxes, int jpegQuality, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        var work = new Work(source, boxes, jpegQuality, new TaskCompletionSource<IReadOnlyList<CropOutcome>>(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Increment(ref _queued);
        _queue.Add(work, CancellationToken.None);
        return await work.Completion.Task.WaitAsync(cancellationToken);
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(30));
        }

        _queue.Dispose();
        _slots.Dispose();
        _memoryMegabytes.Dispose();
    }

    private void Run()
    {
        foreach (var work in _queue.GetConsumingEnumerable())
        {
            try
            {
                work.Completion.TrySetResult(Process(work));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                work.Completion.TrySetResult(work.Boxes.Select(b => new CropOutcome(b.DetectionId, null, $"crop failed: {e.Message}")).ToList());
            }
            finally
            {
                Interlocked.Decrement(ref _queued);
                _slots.Release();
            }
        }
    }

    private List<CropOutcome> Process(Work work)
    {
        using var data = SKData.CreateCopy(work.Source);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return FailAll(work, "cannot identify image file");
        }

        // Raw pixel space, as Pillow loads it: no EXIF orientation. Grayscale stays grayscale.
        var info = codec.Info;
        // (Skia's JPEG encoder takes 8-bit RGBA or gray; an alpha channel is ignored when encoding.)
        var colorType = info.ColorType == SKColorType.Gray8 ? SKColorType.Gray8 : SKColorType.Rgba8888;
        var alphaType = colorType == SKColorType.Gray8 || info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul;
        var target = new SKImageInfo(info.Width, info.Height, colorType, alphaType);
        var megabytes = (int)Math.Clamp(((long)target.BytesSize + (1024 * 1024) - 1) / (1024 * 1024), 1, _budgetMegabytes);
        _memoryMegabytes.Wait();
        for (var taken = 1; taken < megabytes; taken++)
        {
            _memoryMegabytes.Wait();
        }

        try
        {
            using var bitmap = new SKBitmap(target);
            var result = codec.GetPixels(target, bitmap.GetPixels());
            if (result != SKCodecResult.Success)
            {
                // Pillow refuses a truncated file when the pixels are loaded; so do we.
                return FailAll(work, $"image could not be decoded: {result}");
            }

            var outcomes = new List<CropOutcome>(work.Boxes.Count);
            foreach (var (detectionId, box) in work.Boxes)
            {
                outcomes.Add(CropOne(bitmap, detectionId, box, work.JpegQuality));
            }

            return outcomes;
        }
        finally
        {
            _memoryMegabytes.Release(megabytes);
        }
    }

    private static CropOutcome CropOne(SKBitmap bitmap, long detectionId, BoundingBox box, int quality)
    {
        if (!CropGeometry.TryCompute(box, bitmap.Width, bitmap.Height, out var rect, out var error))
        {
            return new CropOutcome(detectionId, null, error);
        }

        if (IsBlack(bitmap, rect))
        {
            // Pillow's getbbox() is None for an all-zero image; Antenna rejects such a crop.
            return new CropOutcome(detectionId, null, "Cropped image is empty");
        }

        using var subset = new SKBitmap();
        if (!bitmap.ExtractSubset(subset, SKRectI.Create(rect.Left, rect.Top, rect.Width, rect.Height)))
        {
            return new CropOutcome(detectionId, null, "Cropped image is empty");
        }

        using var pixmap = subset.PeekPixels();

        using var jpeg = pixmap.Encode(new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore));
        return jpeg is null ? new CropOutcome(detectionId, null, "JPEG encoding failed") : new CropOutcome(detectionId, jpeg.ToArray(), null);
    }

    private static bool IsBlack(SKBitmap bitmap, PixelRect rect)
    {
        var pixels = bitmap.GetPixelSpan();
        var bytesPerPixel = bitmap.BytesPerPixel;
        var colorBytes = bytesPerPixel == 1 ? 1 : 3;
        for (var row = rect.Top; row < rect.Top + rect.Height; row++)
        {
            var line = pixels.Slice((row * bitmap.RowBytes) + (rect.Left * bytesPerPixel), rect.Width * bytesPerPixel);
            for (var i = 0; i < line.Length; i += bytesPerPixel)
            {
                for (var c = 0; c < colorBytes; c++)
                {
                    if (line[i + c] != 0)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    private static List<CropOutcome> FailAll(Work work, string error) =>
        work.Boxes.Select(b => new CropOutcome(b.DetectionId, null, error)).ToList();

    private sealed record Work(byte[] Source, IReadOnlyList<(long DetectionId, BoundingBox Box)> Boxes, int JpegQuality, TaskCompletionSource<IReadOnlyList<CropOutcome>> Completion);
}
