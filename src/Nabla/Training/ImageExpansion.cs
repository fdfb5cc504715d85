using System.Globalization;
using Nabla.Data;
using Nabla.Kernels;

namespace Nabla;

/// <summary>How an image is read between its pixels.</summary>
public enum ImageInterpolation
{
    /// <summary>The nearest pixel: edges stay as sharp as in the image (torchvision's default for rotations).</summary>
    Nearest,
    /// <summary>The four pixels around the point, weighted by how near each is: smooth, and a little blurred.</summary>
    Bilinear,
}

/// <summary>
/// How one example's image is moved: mirrored left to right if <see cref="Mirrored"/>, then turned by <see cref="Degrees"/> about its
/// centre, then shifted <see cref="Right"/> and <see cref="Down"/> whole pixels.
/// </summary>
public readonly record struct ImageMove(int Right, int Down, double Degrees, bool Mirrored = false)
{
    /// <summary>The move in words, e.g. <c>mirrored, right 1, down -2, 7.5°</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{(Mirrored ? "mirrored, " : "")}right {Right}, down {Down}, {Degrees:0.##}°");
}

/// <summary>
/// Chapter 3's expansion of the training data: the book's expand_mnist.py adds, for each training image, copies shifted by
/// one pixel up, down, left and right, since a digit moved a little is still the same digit (and suggests small rotations
/// too). Here the copies are made on the fly, as each mini-batch is gathered: in each epoch every example is seen once, moved
/// by a shift of up to <see cref="MaxShift"/> pixels in each direction and a rotation of up to <see cref="MaxRotationDegrees"/>
/// either way, drawn anew each epoch; and, if <see cref="Mirror"/>, mirrored left to right half the time (not in the book: a shirt
/// seen in a mirror is still a shirt, a digit is not). No second copy of the data is kept.
/// </summary>
/// <remarks>
/// The move of an example is a hash of (the epoch's key, the example's index) (<see cref="Draw"/>): the trainer draws one key
/// per epoch from its seeded generator, and any thread gathering any example computes its move alone, so the same seed gives
/// the same run whatever the number of threads, and nothing is shared between them.
/// </remarks>
public sealed class ImageExpansion : IInputTransform
{
    [ThreadStatic] private static float[]? t_padded, t_mirrored;

    /// <summary>The images' shape: rows × columns of each input.</summary>
    public ImageShape Shape { get; }
    /// <summary>The largest shift, in whole pixels, along each axis: the shifts right and down are each drawn from −MaxShift … MaxShift.</summary>
    public int MaxShift { get; }
    /// <summary>The largest rotation, in degrees, either way: the angle is drawn uniformly from [−MaxRotationDegrees, MaxRotationDegrees].</summary>
    public double MaxRotationDegrees { get; }
    /// <summary>How a rotated image is read between its pixels: the nearest one (sharp, the default, as torchvision's rotations) or bilinear (smooth, a little blurred).</summary>
    public ImageInterpolation Interpolation { get; }
    /// <summary>Whether half the images, drawn anew each epoch, are mirrored left to right.</summary>
    public bool Mirror { get; }

    /// <param name="shape">The images' shape.</param>
    /// <param name="maxShift">0 (no shift) up to one less than the smaller side; the book's expand_mnist.py uses 1.</param>
    /// <param name="maxRotationDegrees">0 (no rotation) to 180.</param>
    /// <param name="interpolation">How rotated images are read between pixels.</param>
    /// <param name="mirror">Mirror half the images left to right.</param>
    /// <exception cref="NablaException">A value is out of range, or nothing would move (no shift, no rotation, no mirror).</exception>
    public ImageExpansion(ImageShape shape, int maxShift = 1, double maxRotationDegrees = 0, ImageInterpolation interpolation = ImageInterpolation.Nearest,
        bool mirror = false)
    {
        if (!Enum.IsDefined(interpolation)) throw new NablaException($"image expansion: the interpolation must be nearest or bilinear, not {interpolation}");
        if (shape.Rows < 1 || shape.Columns < 1) throw new NablaException($"image expansion: an image has at least 1×1 pixels, not {shape}");
        int largest = Math.Min(shape.Rows, shape.Columns) - 1;
        if (maxShift < 0 || maxShift > largest)
            throw new NablaException($"image expansion: the largest shift must be 0 to {largest} pixels for {shape} images, got {maxShift}");
        if (!(maxRotationDegrees >= 0 && maxRotationDegrees <= 180))
            throw new NablaException($"image expansion: the largest rotation must be 0 to 180 degrees, got {maxRotationDegrees.ToString(CultureInfo.InvariantCulture)}");
        if (maxShift == 0 && maxRotationDegrees == 0 && !mirror)
            throw new NablaException("image expansion: with no shift, no rotation and no mirror, no image would move; give one of them");
        (Shape, MaxShift, MaxRotationDegrees, Interpolation, Mirror) = (shape, maxShift, maxRotationDegrees, interpolation, mirror);
    }

    /// <summary>The move of example <paramref name="example"/> in the epoch of <paramref name="key"/>: independent uniform draws from one hash.</summary>
    public ImageMove Draw(ulong key, int example)
    {
        ulong h = Hash(key, (uint)example);
        uint shifts = (uint)2 * (uint)MaxShift + 1;
        // Bits 0–15 and 16–31, each times the number of choices over 2¹⁶: an integer below that number (bias under 2⁻¹⁶ for
        // small shifts); bit 32 mirrors; bits 33–63 give the angle.
        int right = (int)(((h & 0xFFFF) * shifts) >> 16) - MaxShift;
        int down = (int)((((h >> 16) & 0xFFFF) * shifts) >> 16) - MaxShift;
        bool mirrored = Mirror && ((h >> 32) & 1) != 0;
        double degrees = MaxRotationDegrees == 0 ? 0 : ((h >> 33) / 2147483648.0 * 2 - 1) * MaxRotationDegrees;
        return new ImageMove(right, down, degrees, mirrored);
    }

    /// <summary><paramref name="output"/> = <paramref name="image"/> moved by <paramref name="move"/>, 0 where nothing of the image lands.</summary>
    public void Apply(ReadOnlySpan<float> image, Span<float> output, ImageMove move)
    {
        var (rows, columns) = (Shape.Rows, Shape.Columns);
        if (move.Mirrored)
        {
            var mirrored = t_mirrored is { } cached && cached.Length >= image.Length ? cached : t_mirrored = new float[image.Length];
            ImageWarp.Mirror(image, mirrored.AsSpan(0, image.Length), rows, columns);
            image = mirrored.AsSpan(0, image.Length);
        }
        if (move.Degrees == 0)
            ImageWarp.Shift(image, output, rows, columns, move.Right, move.Down);
        else
        {
            int length = ImageWarp.PaddedLength(rows, columns);
            var padded = t_padded is { } cached && cached.Length >= length ? cached : t_padded = new float[length];
            ImageWarp.RotateAndShift(image, output, rows, columns, move.Degrees, move.Right, move.Down, Interpolation, padded);
        }
    }

    void IInputTransform.Transform(ReadOnlySpan<float> input, Span<float> output, int example, ulong draw) =>
        Apply(input, output, Draw(draw, example));

    /// <summary>"shifts up to 1 pixel, rotations up to 10°, mirrored half the time".</summary>
    public override string ToString() => string.Join(", ",
        new[]
        {
            MaxShift > 0 ? $"shifts up to {MaxShift} pixel{(MaxShift == 1 ? "" : "s")}" : null,
            MaxRotationDegrees > 0 ? string.Create(CultureInfo.InvariantCulture, $"rotations up to {MaxRotationDegrees:0.##}°{(Interpolation == ImageInterpolation.Bilinear ? " (bilinear)" : "")}") : null,
            Mirror ? "mirrored half the time" : null,
        }.OfType<string>());

    // Every example of every epoch its own, evenly spread 64 bits.
    private static ulong Hash(ulong key, uint example) => Xoshiro256.SplitMix64(key, example + 1UL);
}
