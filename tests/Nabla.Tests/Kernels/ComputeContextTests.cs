using Nabla.Kernels;

namespace Nabla.Tests.Kernels;

public class ComputeContextTests
{
    [Theory]
    [InlineData(30, 2, 8)]
    [InlineData(784, 3, 4)]
    [InlineData(7, 2, 8)]
    [InlineData(1000, 2, 16)]
    public void PartitionCutsTheRangeIntoAlignedAdjacentBlocks(int count, int parts, int align)
    {
        int expectedStart = 0;
        for (int p = 0; p < parts; p++)
        {
            var (start, end) = ComputeContext.Partition(count, p, parts, align);
            Assert.Equal(expectedStart, start);
            Assert.True(start % align == 0, $"part {p} starts at {start}, not a multiple of {align}");
            Assert.True(end >= start);
            expectedStart = end;
        }
        Assert.Equal(count, expectedStart);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void RunExecutesEveryPartExactlyOnceEachTime(int threads)
    {
        using var context = new ComputeContext(threads);
        var work = new CountingWork(threads);
        for (int run = 0; run < 2000; run++)
            context.Run(work);
        Assert.All(work.Counts, count => Assert.Equal(2000, count));
        Assert.All(work.PartsSeen, parts => Assert.Equal(threads, parts));
    }

    [Fact]
    public void AFailingPartIsRethrownOnTheCallingThread()
    {
        using var context = new ComputeContext(2);
        var error = Assert.Throws<AggregateException>(() => context.Run(new FailingWork()));
        Assert.IsType<InvalidOperationException>(error.InnerException);
        context.Run(new CountingWork(2)); // still usable
    }

    [Fact]
    public void AWorkerThatParkedWakesForTheNextRun()
    {
        using var context = new ComputeContext(2);
        var work = new CountingWork(2);
        context.Run(work);
        Thread.Sleep(ComputeContext.SpinBeforeParking * 5);
        context.Run(work);
        Assert.All(work.Counts, count => Assert.Equal(2, count));
    }

    [Fact]
    public void ThreadCountsOutsideOneToSixtyFourAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputeContext(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputeContext(65));
    }

    private sealed class CountingWork(int parts) : ParallelWork
    {
        public readonly int[] Counts = new int[parts];
        public readonly int[] PartsSeen = new int[parts];
        public override void Execute(int part, int parts)
        {
            Counts[part]++;
            PartsSeen[part] = parts;
        }
    }

    private sealed class FailingWork : ParallelWork
    {
        public override void Execute(int part, int parts)
        {
            if (part == parts - 1) throw new InvalidOperationException("part failed");
        }
    }
}
