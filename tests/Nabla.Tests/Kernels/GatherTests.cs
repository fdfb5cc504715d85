using Nabla.Kernels;

namespace Nabla.Tests.Kernels;

public class GatherTests
{
    private static readonly float[] Source = Enumerable.Range(0, 5 * 3).Select(i => i / 7f).ToArray(); // 5 rows of 3

    [Fact]
    public void RowsCopiesTheNamedRowsInOrder()
    {
        var f = new float[9];
        Gather.Rows<float>(Source, 3, [4, 0, 4], f);
        Assert.Equal(Source[12..15].Concat(Source[0..3]).Concat(Source[12..15]), f);

        var d = new double[9];
        Gather.Rows<double>(Source, 3, [4, 0, 4], d);
        Assert.Equal(f.Select(x => (double)x), d);
    }

    [Fact]
    public void RowsRejectsAnIndexOutsideTheData()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Gather.Rows<float>(Source, 3, [1, 5], new float[6]));
        Assert.Contains("example 5", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gather.Rows<float>(Source, 3, [-1], new float[3]));
        Assert.Throws<ArgumentException>(() => Gather.Rows<float>(Source, 3, [1], new float[4]));
    }

    [Fact]
    public void PixelsToInputsIsTheCorrectlyRoundedQuotientForEveryByte()
    {
        // Every byte value, in a span long enough for the vector path and with a tail of 5 (261 = 32·8 + 5), at an odd offset.
        byte[] pixels = Enumerable.Range(0, 262).Select(i => (byte)((i * 7 + 3) % 256)).ToArray();
        var inputs = new float[261];
        Gather.PixelsToInputs(pixels.AsSpan(1), inputs);
        Assert.Equal(256, pixels.AsSpan(1).ToArray().Distinct().Count());
        for (int i = 0; i < inputs.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(pixels[i + 1] / 255f), BitConverter.SingleToInt32Bits(inputs[i]));
        Assert.Throws<ArgumentException>(() => Gather.PixelsToInputs(pixels, new float[10]));
    }

    [Fact]
    public void RowsFromPixelsGivesExactlyTheInputsPixelOver255()
    {
        // Every byte value, in rows of 7 (so vector tails are exercised), against the scalar definition.
        byte[] pixels = Enumerable.Range(0, 259).Select(i => (byte)(i % 256)).ToArray()[..252];
        int[] rows = [35, 0, 17, 17, 2];
        var f = new float[rows.Length * 7];
        Gather.RowsFromPixels<float>(pixels, 7, rows, f, []);
        var d = new double[rows.Length * 7];
        Gather.RowsFromPixels<double>(pixels, 7, rows, d, new float[7]);
        for (int i = 0; i < rows.Length; i++)
            for (int k = 0; k < 7; k++)
            {
                float expected = pixels[rows[i] * 7 + k] / 255f;
                Assert.Equal(expected, f[i * 7 + k]);
                Assert.Equal((double)expected, d[i * 7 + k]);
            }
        Assert.Throws<ArgumentOutOfRangeException>(() => Gather.RowsFromPixels<float>(pixels, 7, [36], new float[7], []));
        Assert.Throws<ArgumentException>(() => Gather.RowsFromPixels<double>(pixels, 7, [1], new double[7], new float[6]));
    }

    [Fact]
    public void A_data_set_read_from_images_trains_exactly_like_the_same_data_as_floats()
    {
        var images = Dataset.FromIdx(TestFiles.Sample("t10k-images-idx3-ubyte.gz"), TestFiles.Sample("t10k-labels-idx1-ubyte.gz")).Slice(0, 300);
        Assert.NotNull(images.Pixels);
        Assert.NotNull(images.Labels);
        var floats = new Dataset((float[])images.Inputs.Clone(), images.Labels, images.InputSize);
        float[] Train(Dataset data)
        {
            var net = new Network<float>([784, 12, 10], seed: 3);
            new Sgd<float>(net, Cost.Quadratic, 3f, 10, seed: 4).Train(data, epochs: 2);
            return net.Weights[1].Data;
        }
        Assert.Equal(Train(floats), Train(images));
    }

    [Fact]
    public void PrefetchIsOnlyAHintThatSkipsIndicesOutsideTheDataAndChangesNothing()
    {
        float[] before = Source.ToArray();
        Gather.Prefetch(Source, 3, [4, 0, -1, 5, int.MaxValue]);
        Gather.Prefetch(Source, 3, []);
        Gather.Prefetch<float>([], 3, [0]);
        Assert.Equal(before, Source);
    }

    [Fact]
    public void OneHotSetsOneEntryPerRowAndClearsTheRest()
    {
        int[] labels = [2, 0, 1];
        var y = Enumerable.Repeat(9.0, 6).ToArray();
        Gather.OneHot<double>(labels, [0, 2], y, 3);
        Assert.Equal([0, 0, 1, 0, 1, 0], y);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gather.OneHot<double>(labels, [0], new double[2], 2));
    }
}
