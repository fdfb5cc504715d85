using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>
/// Moves an image (rows × columns floats, row-major) by a whole-pixel shift and a rotation about its centre: each output pixel
/// takes the value of the input where the move came from, 0 (the background of MNIST-format images) where that lies outside.
/// A shift alone is a copy of rows; with a rotation the source point falls between pixels, and its value is the nearest pixel's
/// or interpolated from the four around it.
/// </summary>
public static class ImageWarp
{
    /// <summary>
    /// <paramref name="destination"/>(r, c) = <paramref name="source"/>(r − <paramref name="down"/>, c − <paramref name="right"/>),
    /// 0 where that is outside the image: the image moved <paramref name="right"/> pixels right and <paramref name="down"/> down.
    /// </summary>
    public static void Shift(ReadOnlySpan<float> source, Span<float> destination, int rows, int columns, int right, int down)
    {
        Check(source, destination, rows, columns);
        if (source.Overlaps(destination)) throw new ArgumentException("source and destination must not overlap", nameof(destination));
        destination.Clear();
        int width = columns - Math.Abs(right);
        if (width <= 0 || Math.Abs(down) >= rows) return;
        int from = Math.Max(0, -right), to = Math.Max(0, right);
        for (int r = Math.Max(0, down); r < Math.Min(rows, rows + down); r++)
            source.Slice((r - down) * columns + from, width).CopyTo(destination.Slice(r * columns + to, width));
    }

    /// <summary>Each row of <paramref name="destination"/> = that row of <paramref name="source"/> in reverse: the image seen in a mirror beside it.</summary>
    public static void Mirror(ReadOnlySpan<float> source, Span<float> destination, int rows, int columns)
    {
        Check(source, destination, rows, columns);
        if (source.Overlaps(destination)) throw new ArgumentException("source and destination must not overlap", nameof(destination));
        for (int r = 0; r < rows; r++)
        {
            var row = destination.Slice(r * columns, columns);
            source.Slice(r * columns, columns).CopyTo(row);
            row.Reverse();
        }
    }

    /// <summary>
    /// The image rotated by <paramref name="degrees"/> (counter-clockwise as seen on screen, rows going down) about its centre,
    /// then shifted as by <see cref="Shift"/>: output pixel p takes the input at R⁻¹(p − shift − centre) + centre, 0 outside the
    /// image, read there as <paramref name="interpolation"/> says. <paramref name="padded"/> is scratch of
    /// <see cref="PaddedLength"/> floats; <paramref name="destination"/> may be <paramref name="source"/>.
    /// </summary>
    public static void RotateAndShift(ReadOnlySpan<float> source, Span<float> destination, int rows, int columns, double degrees,
        int right, int down, ImageInterpolation interpolation, Span<float> padded)
    {
        Check(source, destination, rows, columns);
        if (padded.Length < PaddedLength(rows, columns))
            throw new ArgumentException($"padded has length {padded.Length}; {rows}×{columns} images need {PaddedLength(rows, columns)}", nameof(padded));
        if (!Enum.IsDefined(interpolation)) throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, "nearest or bilinear");
        // The image inside a border of zeros, one pixel above and left, two below and right: a source point clamped to
        // [−1, size] then has its neighbours inside the buffer, and those outside the image read 0.
        int stride = columns + 3;
        padded[..PaddedLength(rows, columns)].Clear();
        for (int r = 0; r < rows; r++)
            source.Slice(r * columns, columns).CopyTo(padded.Slice((r + 1) * stride + 1, columns));

        double radians = degrees * Math.PI / 180;
        float cos = (float)Math.Cos(radians), sin = (float)Math.Sin(radians);
        float centreX = (columns - 1) / 2f, centreY = (rows - 1) / 2f;
        var row = new Row(ref MemoryMarshal.GetReference(padded), stride, rows, columns, cos, sin, right, centreX, interpolation == ImageInterpolation.Bilinear);
        for (int r = 0; r < rows; r++)
        {
            // (x, y) = R⁻¹ (u, v) + centre, with (u, v) = (c − right − centreX, r − down − centreY) and, rows going down,
            // R⁻¹ = [cos −sin; sin cos] undoing a turn counter-clockwise on screen.
            float v = r - down - centreY;
            var to = destination.Slice(r * columns, columns);
            row.Fill(to, centreX - sin * v, centreY + cos * v);
        }
    }

    /// <summary>One output row of <see cref="RotateAndShift"/> at a time, from the padded image.</summary>
    private readonly ref struct Row(ref float image, int stride, int rows, int columns, float cos, float sin, int right, float centreX, bool bilinear)
    {
        private readonly ref float _image = ref image;

        /// <summary>Row pixel c = the image at (rowX + cos·u, rowY + sin·u), u = c − right − centreX.</summary>
        public void Fill(Span<float> output, float rowX, float rowY)
        {
            if (Avx2.IsSupported && columns >= 8)
            {
                // Eight pixels at a time; the last eight may overlap the eight before, computing the same values again.
                for (int c = 0; ; c += 8)
                {
                    c = Math.Min(c, columns - 8);
                    Eight(ref MemoryMarshal.GetReference(output), c, rowX, rowY);
                    if (c == columns - 8) return;
                }
            }
            for (int c = 0; c < columns; c++)
                output[c] = Pixel(c, rowX, rowY);
        }

        private float Pixel(int c, float rowX, float rowY)
        {
            float u = (float)(c - right) - centreX;
            float x = Math.Clamp(rowX + cos * u, -1f, columns), y = Math.Clamp(rowY + sin * u, -1f, rows);
            if (!bilinear)
                return Unsafe.Add(ref _image, (int)(y + 1.5f) * stride + (int)(x + 1.5f)); // rounded (x + 1.5 > 0), plus the border
            int x0 = (int)(x + 1f) - 1, y0 = (int)(y + 1f) - 1; // floor, as x + 1 ≥ 0
            float fx = x - x0, fy = y - y0;
            ref float p = ref Unsafe.Add(ref _image, (y0 + 1) * stride + x0 + 1);
            float top = Lerp(p, Unsafe.Add(ref p, 1), fx);
            float bottom = Lerp(Unsafe.Add(ref p, stride), Unsafe.Add(ref p, stride + 1), fx);
            return Lerp(top, bottom, fy);
        }

        /// <summary>As <see cref="Pixel"/> for pixels c … c + 7, each tap of the eight fetched by one gather: the same operations in the same order (no fused multiply-add), so the same floats.</summary>
        private unsafe void Eight(ref float output, int c, float rowX, float rowY)
        {
            var u = Avx.ConvertToVector256Single(Vector256.Create(c - right) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7)) - Vector256.Create(centreX);
            var x = Vector256.Min(Vector256.Max(Vector256.Create(rowX) + Vector256.Create(cos) * u, Vector256.Create(-1f)), Vector256.Create((float)columns));
            var y = Vector256.Min(Vector256.Max(Vector256.Create(rowY) + Vector256.Create(sin) * u, Vector256.Create(-1f)), Vector256.Create((float)rows));
            var one = Vector256.Create(1);
            var vStride = Vector256.Create(stride);
            fixed (float* at = &_image)
            {
                if (!bilinear)
                {
                    var xi = Avx.ConvertToVector256Int32WithTruncation(x + Vector256.Create(1.5f));
                    var yi = Avx.ConvertToVector256Int32WithTruncation(y + Vector256.Create(1.5f));
                    Avx2.GatherVector256(at, yi * vStride + xi, 4).StoreUnsafe(ref output, (nuint)c);
                    return;
                }
                var x0 = Avx.ConvertToVector256Int32WithTruncation(x + Vector256.Create(1f)) - one;
                var y0 = Avx.ConvertToVector256Int32WithTruncation(y + Vector256.Create(1f)) - one;
                var fx = x - Avx.ConvertToVector256Single(x0);
                var fy = y - Avx.ConvertToVector256Single(y0);
                var index = (y0 + one) * vStride + x0 + one;
                var p00 = Avx2.GatherVector256(at, index, 4);
                var p01 = Avx2.GatherVector256(at + 1, index, 4);
                var p10 = Avx2.GatherVector256(at + stride, index, 4);
                var p11 = Avx2.GatherVector256(at + stride + 1, index, 4);
                var top = p00 + fx * (p01 - p00);
                var bottom = p10 + fx * (p11 - p10);
                (top + fy * (bottom - top)).StoreUnsafe(ref output, (nuint)c);
            }
        }
    }

    /// <summary>The scratch <see cref="RotateAndShift"/> needs for images of <paramref name="rows"/> × <paramref name="columns"/>.</summary>
    public static int PaddedLength(int rows, int columns) => (rows + 3) * (columns + 3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Lerp(float a, float b, float t) => a + t * (b - a);

    private static void Check(ReadOnlySpan<float> source, Span<float> destination, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (source.Length != rows * columns) throw new ArgumentException($"source has length {source.Length}; a {rows}×{columns} image has {rows * columns}", nameof(source));
        if (destination.Length != source.Length) throw new ArgumentException($"destination has length {destination.Length}, source {source.Length}", nameof(destination));
    }
}
