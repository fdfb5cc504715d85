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
    public void PrefetchIsOnlyAHintThatSkipsIndicesOutsideTheDataAndChangesNothing()
    {
        float[] before = Source.ToArray();
        Gather.Prefetch(Source, 3, [4, 0, -1, 5, int.MaxValue]);
        Gather.Prefetch(Source, 3, []);
        Gather.Prefetch([], 3, [0]);
        Assert.Equal(before, Source);
    }

    [Fact]
    public void OneHotSetsOneEntryPerRowAndClearsTheRest()
    {
        byte[] labels = [2, 0, 1];
        var y = Enumerable.Repeat(9.0, 6).ToArray();
        Gather.OneHot<double>(labels, [0, 2], y, 3);
        Assert.Equal([0, 0, 1, 0, 1, 0], y);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gather.OneHot<double>(labels, [0], new double[2], 2));
    }
}
