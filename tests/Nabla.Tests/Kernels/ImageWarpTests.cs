using Nabla.Kernels;

namespace Nabla.Tests.Kernels;

public class ImageWarpTests
{
    private static float[] RandomImage(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * columns).Select(_ => (float)random.NextDouble()).ToArray();
    }

    /// <summary>The input at (row, column), 0 outside the image: what the warp must read there.</summary>
    private static double At(float[] image, int rows, int columns, int row, int column) =>
        row >= 0 && row < rows && column >= 0 && column < columns ? image[row * columns + column] : 0;

    /// <summary>
    /// The rotated and shifted image computed the plain way, in float64: for each output pixel, the point it comes from by
    /// the inverse rotation (counter-clockwise on screen for positive angles, rows going down) and shift, then the nearest
    /// pixel's value, or the bilinear interpolation of the four pixels around it.
    /// </summary>
    private static double[] Reference(float[] image, int rows, int columns, double degrees, int right, int down, ImageInterpolation interpolation)
    {
        double theta = degrees * Math.PI / 180, cx = (columns - 1) / 2.0, cy = (rows - 1) / 2.0;
        var output = new double[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                double u = c - right - cx, v = r - down - cy;
                double x = cx + Math.Cos(theta) * u - Math.Sin(theta) * v, y = cy + Math.Sin(theta) * u + Math.Cos(theta) * v;
                if (interpolation == ImageInterpolation.Nearest)
                {
                    output[r * columns + c] = At(image, rows, columns, (int)Math.Floor(y + 0.5), (int)Math.Floor(x + 0.5));
                    continue;
                }
                int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
                double fx = x - x0, fy = y - y0;
                output[r * columns + c] =
                    (1 - fy) * ((1 - fx) * At(image, rows, columns, y0, x0) + fx * At(image, rows, columns, y0, x0 + 1)) +
                    fy * ((1 - fx) * At(image, rows, columns, y0 + 1, x0) + fx * At(image, rows, columns, y0 + 1, x0 + 1));
            }
        return output;
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(-2, 3)]
    [InlineData(4, -1)]
    [InlineData(9, 0)]   // the whole image moves out: all zeros
    [InlineData(0, -20)]
    public void A_shift_moves_every_pixel_and_fills_with_zeros(int right, int down)
    {
        const int rows = 6, columns = 9;
        var image = RandomImage(rows, columns, 1);
        var output = new float[image.Length];
        ImageWarp.Shift(image, output, rows, columns, right, down);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                Assert.Equal(At(image, rows, columns, r - down, c - right), output[r * columns + c]);
    }

    [Theory]
    [InlineData(0, 0, ImageInterpolation.Bilinear)]
    [InlineData(2, -1, ImageInterpolation.Bilinear)]
    [InlineData(-3, 3, ImageInterpolation.Bilinear)]
    [InlineData(-3, 3, ImageInterpolation.Nearest)]
    public void No_rotation_is_the_shift_exactly(int right, int down, ImageInterpolation interpolation)
    {
        const int rows = 11, columns = 21; // wider than a vector of eight, with a tail
        var image = RandomImage(rows, columns, 2);
        var shifted = new float[image.Length];
        var warped = new float[image.Length];
        ImageWarp.Shift(image, shifted, rows, columns, right, down);
        ImageWarp.RotateAndShift(image, warped, rows, columns, 0, right, down, interpolation, new float[ImageWarp.PaddedLength(rows, columns)]);
        Assert.Equal(shifted, warped);
    }

    [Theory]
    [InlineData(28, 28, 10, 1, -1)]
    [InlineData(28, 28, -15, 0, 2)]
    [InlineData(7, 19, 33, 0, 0)]    // not square: rows and columns must not be swapped; 19 = two vectors and an overlapping third
    [InlineData(19, 7, -170, 3, 1)]  // a large turn: much of the image falls outside; 7 columns, no vector
    [InlineData(5, 8, 4.5, -1, 0)]   // exactly one vector a row
    public void A_rotation_reads_the_image_at_the_point_each_pixel_comes_from(int rows, int columns, double degrees, int right, int down)
    {
        var image = RandomImage(rows, columns, 3);
        var output = new float[image.Length];
        var padded = new float[ImageWarp.PaddedLength(rows, columns)];
        ImageWarp.RotateAndShift(image, output, rows, columns, degrees, right, down, ImageInterpolation.Bilinear, padded);
        var expected = Reference(image, rows, columns, degrees, right, down, ImageInterpolation.Bilinear);
        for (int i = 0; i < output.Length; i++)
            Assert.True(Math.Abs(expected[i] - output[i]) < 2e-5, $"bilinear, pixel {i}: {output[i]}, expected {expected[i]}");

        // The nearest pixel: a value of the image (or 0), exactly; a point within float rounding of halfway between two
        // pixels may round either way, so a few may differ.
        ImageWarp.RotateAndShift(image, output, rows, columns, degrees, right, down, ImageInterpolation.Nearest, padded);
        expected = Reference(image, rows, columns, degrees, right, down, ImageInterpolation.Nearest);
        Assert.All(output, value => Assert.True(value == 0 || image.Contains(value)));
        Assert.True(Enumerable.Range(0, output.Length).Count(i => expected[i] != output[i]) <= output.Length / 50,
            $"{Enumerable.Range(0, output.Length).Count(i => expected[i] != output[i])} of {output.Length} pixels differ from the nearest");
    }

    [Fact]
    public void A_positive_quarter_turn_is_counter_clockwise_on_screen()
    {
        // A bright pixel at the top right of a 5×5 image ends at the top left.
        var image = new float[25];
        image[0 * 5 + 4] = 1;
        var output = new float[25];
        foreach (var interpolation in new[] { ImageInterpolation.Nearest, ImageInterpolation.Bilinear })
        {
            ImageWarp.RotateAndShift(image, output, 5, 5, 90, 0, 0, interpolation, new float[ImageWarp.PaddedLength(5, 5)]);
            Assert.Equal(1, output[0 * 5 + 0], 5);
            Assert.Equal(1, output.Sum(), 4);
        }
    }

    [Fact]
    public void The_destination_may_be_the_source_of_a_rotation()
    {
        const int rows = 9, columns = 12;
        var image = RandomImage(rows, columns, 4);
        var apart = new float[image.Length];
        var padded = new float[ImageWarp.PaddedLength(rows, columns)];
        ImageWarp.RotateAndShift(image, apart, rows, columns, 7, 1, 1, ImageInterpolation.Bilinear, padded);
        ImageWarp.RotateAndShift(image, image, rows, columns, 7, 1, 1, ImageInterpolation.Bilinear, padded);
        Assert.Equal(apart, image);
    }

    [Fact]
    public void A_mirror_reverses_every_row()
    {
        const int rows = 4, columns = 7;
        var image = RandomImage(rows, columns, 5);
        var output = new float[image.Length];
        ImageWarp.Mirror(image, output, rows, columns);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                Assert.Equal(image[r * columns + columns - 1 - c], output[r * columns + c]);
        Assert.Throws<ArgumentException>(() => ImageWarp.Mirror(image, image, rows, columns));
    }

    [Fact]
    public void Wrong_lengths_are_refused()
    {
        var image = new float[12];
        Assert.Throws<ArgumentException>(() => ImageWarp.Shift(image, new float[11], 3, 4, 1, 0));
        Assert.Throws<ArgumentException>(() => ImageWarp.Shift(image, new float[12], 3, 5, 1, 0));
        Assert.Throws<ArgumentException>(() => ImageWarp.Shift(image, image, 3, 4, 1, 0));
        Assert.Throws<ArgumentException>(() => ImageWarp.RotateAndShift(image, new float[12], 3, 4, 5, 0, 0, ImageInterpolation.Nearest, new float[ImageWarp.PaddedLength(3, 4) - 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageWarp.RotateAndShift(image, new float[12], 3, 4, 5, 0, 0, (ImageInterpolation)7, new float[ImageWarp.PaddedLength(3, 4)]));
    }
}
