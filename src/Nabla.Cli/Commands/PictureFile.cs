using SkiaSharp;

namespace Nabla.Cli.Commands;

/// <summary>
/// A picture (PNG, JPEG, GIF, BMP, WebP) made into the input of a network trained on IDX images: decoded by SkiaSharp,
/// grey-scaled (transparent parts over white, as a viewer shows them), inverted when its border is light (the training
/// images are light objects on black), and scaled, its aspect kept, to fit the model's rows × columns, centred on black.
/// </summary>
internal static class PictureFile
{
    /// <summary>The largest picture decoded: 64 megapixels (a 256 MB RGBA buffer), checked from the header before decoding.</summary>
    public const long MaxPixels = 64L << 20;

    /// <summary>The picture's format from its first bytes ("PNG", "JPEG" …), or null when they are no picture's.</summary>
    public static string? Kind(ReadOnlySpan<byte> head) =>
        head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) ? "PNG"
        : head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? "JPEG"
        : head.StartsWith("GIF8"u8) ? "GIF"
        : head.StartsWith("BM"u8) && head.Length >= 14 ? "BMP"
        : head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8) ? "WebP"
        : null;

    /// <summary>One picture as the model's pixels, and what was done to it.</summary>
    public sealed record Picture(byte[] Pixels, int Width, int Height, bool Inverted);

    /// <param name="invert">auto (by the border), yes or no.</param>
    /// <exception cref="CliException">SkiaSharp's native library is missing, or the file does not decode (exit 3).</exception>
    public static Picture Read(string path, string kind, int rows, int columns, string invert)
    {
        CheckDecoder();
        using var stream = File.OpenRead(path);
        using var codec = SKCodec.Create(stream, out var opened)
            ?? throw new CliException($"{path}: a {kind} file that SkiaSharp cannot decode ({Words(opened)})", ExitCodes.InvalidInput);
        int width = codec.Info.Width, height = codec.Info.Height;
        if (width <= 0 || height <= 0 || (long)width * height > MaxPixels)
            throw new CliException($"{path}: the {kind} image claims {width:N0}×{height:N0} pixels; at most {MaxPixels:N0} are decoded", ExitCodes.InvalidInput);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var decoded = codec.GetPixels(info, bitmap.GetPixels());
        if (decoded != SKCodecResult.Success)
            throw new CliException($"{path}: the {kind} image cannot be decoded: {Words(decoded)}", ExitCodes.InvalidInput);

        var grey = Grey(bitmap.GetPixelSpan(), width * height);
        bool inverted = invert switch
        {
            "yes" => true,
            "no" => false,
            _ => BorderMean(grey, width, height) > 127.5,
        };
        if (inverted)
            for (int i = 0; i < grey.Length; i++) grey[i] = (byte)(255 - grey[i]);
        return new Picture(Fit(grey, width, height, rows, columns), width, height, inverted);
    }

    /// <summary>Luma (ITU-R BT.601, as PIL's convert("L")) of each RGBA pixel, over white where it is transparent.</summary>
    private static byte[] Grey(ReadOnlySpan<byte> rgba, int count)
    {
        var grey = new byte[count];
        for (int i = 0; i < count; i++)
        {
            var p = rgba.Slice(4 * i, 4);
            double luma = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2], alpha = p[3] / 255.0;
            grey[i] = (byte)Math.Round(luma * alpha + 255 * (1 - alpha));
        }
        return grey;
    }

    /// <summary>The mean of the outermost pixels: the background, for a picture of one object.</summary>
    private static double BorderMean(byte[] grey, int width, int height)
    {
        long sum = 0, count = 0;
        for (int x = 0; x < width; x++) { sum += grey[x] + grey[(height - 1) * width + x]; count += 2; }
        for (int y = 1; y < height - 1; y++) { sum += grey[y * width] + grey[y * width + width - 1]; count += 2; }
        return (double)sum / count;
    }

    /// <summary>Scales the grey picture to fit rows × columns with its aspect kept (SkiaSharp, linear with mipmaps), centred on black.</summary>
    private static byte[] Fit(byte[] grey, int width, int height, int rows, int columns)
    {
        double scale = Math.Min((double)columns / width, (double)rows / height);
        int w = Math.Clamp((int)Math.Round(width * scale), 1, columns), h = Math.Clamp((int)Math.Round(height * scale), 1, rows);
        using var source = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        grey.CopyTo(source.GetPixelSpan());
        using var scaled = source.Resize(new SKImageInfo(w, h, SKColorType.Gray8, SKAlphaType.Opaque), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
            ?? throw new CliException($"SkiaSharp could not scale a {width}×{height} picture to {w}×{h}", ExitCodes.InternalError);
        var pixels = new byte[rows * columns];
        var from = scaled.GetPixelSpan();
        int top = (rows - h) / 2, left = (columns - w) / 2, stride = scaled.RowBytes;
        for (int y = 0; y < h; y++) from.Slice(y * stride, w).CopyTo(pixels.AsSpan((top + y) * columns + left, w));
        return pixels;
    }

    private static string Words(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the file ends before the image does (truncated?)",
        SKCodecResult.ErrorInInput => "the image data is damaged",
        SKCodecResult.InvalidInput => "the file is not a valid image",
        SKCodecResult.Unimplemented => "this kind of image is not supported",
        var other => other.ToString(),
    };

    /// <summary>
    /// SkiaSharp's native library, which each platform's tool package carries (the managed-only fallback does not), decodes
    /// the pictures: said in one line when it cannot be loaded, as for the plots.
    /// </summary>
    private static void CheckDecoder()
    {
        try { new SKBitmap(1, 1).Dispose(); }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new CliException(Plots.PlotFile.NativeLibraryMissing("pictures are decoded", e), ExitCodes.InvalidInput);
        }
    }
}
