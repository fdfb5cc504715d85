using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>
/// Moves an image (rows × columns floats, row-major) by a whole-pixel shift and a rotation about its centre: each output pixel
/// takes the value of the input where the move came from, 0 (the background of MNIST-format images) where that lies outside.
/// A shift alone is a copy of rows; with a rotation the source point falls between pixels and its value is interpolated from
/// the four around it (bilinear).
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

    /// <summary>
    /// The image rotated by <paramref name="degrees"/> (counter-clockwise as seen on screen, rows going down) about its centre,
    /// then shifted as by <see cref="Shift"/>: output pixel p takes the input at R⁻¹(p − shift − centre) + centre, interpolated
    /// bilinearly, with 0 outside the image. <paramref name="padded"/> is scratch of <see cref="PaddedLength"/> floats;
    /// <paramref name="destination"/> may be <paramref name="source"/>.
    /// </summary>
    public static void RotateAndShift(ReadOnlySpan<float> source, Span<float> destination, int rows, int columns, double degrees,
        int right, int down, Span<float> padded)
    {
        Check(source, destination, rows, columns);
        if (padded.Length < PaddedLength(rows, columns))
            throw new ArgumentException($"padded has length {padded.Length}; {rows}×{columns} images need {PaddedLength(rows, columns)}", nameof(padded));
        // The image inside a border of zeros, one pixel above and left, two below and right: a source point clamped to
        // [−1, size] then has its four neighbours inside the buffer, and those outside the image read 0.
        int stride = columns + 3;
        padded[..PaddedLength(rows, columns)].Clear();
        for (int r = 0; r < rows; r++)
            source.Slice(r * columns, columns).CopyTo(padded.Slice((r + 1) * stride + 1, columns));

        double radians = degrees * Math.PI / 180;
        float cos = (float)Math.Cos(radians), sin = (float)Math.Sin(radians);
        float centreX = (columns - 1) / 2f, centreY = (rows - 1) / 2f;
        ref float image = ref MemoryMarshal.GetReference(padded);
        ref float output = ref MemoryMarshal.GetReference(destination);
        for (int r = 0; r < rows; r++)
        {
            // (x, y) = R⁻¹ (u, v) + centre, with (u, v) = (c − right − centreX, r − down − centreY) and, rows going down,
            // R⁻¹ = [cos −sin; sin cos] undoing a turn counter-clockwise on screen.
            float v = r - down - centreY;
            float rowX = centreX - sin * v, rowY = centreY + cos * v;
            int c = 0;
            if (Avx2.IsSupported)
                c = RotatedRow(ref image, stride, ref Unsafe.Add(ref output, r * columns), rows, columns, rowX, rowY, cos, sin, right, centreX);
            for (; c < columns; c++)
            {
                float u = (float)(c - right) - centreX;
                float x = Math.Clamp(rowX + cos * u, -1f, columns), y = Math.Clamp(rowY + sin * u, -1f, rows);
                int x0 = (int)(x + 1f) - 1, y0 = (int)(y + 1f) - 1; // floor, as x + 1 ≥ 0
                float fx = x - x0, fy = y - y0;
                ref float p = ref Unsafe.Add(ref image, (y0 + 1) * stride + x0 + 1);
                float top = Lerp(p, Unsafe.Add(ref p, 1), fx);
                float bottom = Lerp(Unsafe.Add(ref p, stride), Unsafe.Add(ref p, stride + 1), fx);
                Unsafe.Add(ref output, r * columns + c) = Lerp(top, bottom, fy);
            }
        }
    }

    /// <summary>
    /// As the scalar loop of <see cref="RotateAndShift"/>, eight pixels of a row at a time, each tap of the eight fetched by one
    /// gather: the same operations in the same order (no fused multiply-add), so the same floats. Returns the columns done.
    /// </summary>
    private static unsafe int RotatedRow(ref float image, int stride, ref float output, int rows, int columns, float rowX, float rowY, float cos, float sin,
        int shiftRight, float centreX)
    {
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        Vector256<float> low = Vector256.Create(-1f), one = Vector256.Create(1f), right = Vector256.Create((float)columns), bottom = Vector256.Create((float)rows);
        Vector256<float> vCos = Vector256.Create(cos), vSin = Vector256.Create(sin), vRowX = Vector256.Create(rowX), vRowY = Vector256.Create(rowY);
        Vector256<int> vStride = Vector256.Create(stride), vOne = Vector256.Create(1);
        int c = 0;
        fixed (float* at = &image)
        {
            for (; c <= columns - 8; c += 8)
            {
                var u = Avx.ConvertToVector256Single(Vector256.Create(c - shiftRight) + lanes) - Vector256.Create(centreX);
                var x = Vector256.Min(Vector256.Max(vRowX + vCos * u, low), right);
                var y = Vector256.Min(Vector256.Max(vRowY + vSin * u, low), bottom);
                var x0 = Avx.ConvertToVector256Int32WithTruncation(x + one) - vOne;
                var y0 = Avx.ConvertToVector256Int32WithTruncation(y + one) - vOne;
                var fx = x - Avx.ConvertToVector256Single(x0);
                var fy = y - Avx.ConvertToVector256Single(y0);
                var index = (y0 + vOne) * vStride + x0 + vOne;
                var p00 = Avx2.GatherVector256(at, index, 4);
                var p01 = Avx2.GatherVector256(at + 1, index, 4);
                var p10 = Avx2.GatherVector256(at + stride, index, 4);
                var p11 = Avx2.GatherVector256(at + stride + 1, index, 4);
                var top = p00 + fx * (p01 - p00);
                var under = p10 + fx * (p11 - p10);
                (top + fy * (under - top)).StoreUnsafe(ref output, (nuint)c);
            }
        }
        return c;
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
