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
    public void Solo_runs_the_same_parts_on_the_calling_thread_only()
    {
        using var context = new ComputeContext(3) { Solo = true };
        var work = new CountingWork(3);
        for (int run = 0; run < 100; run++)
            context.Run(work);
        Assert.All(work.Counts, count => Assert.Equal(100, count));
        Assert.All(work.PartsSeen, parts => Assert.Equal(3, parts));
        Assert.Equal(100, context.SplitRuns);
    }

    [Fact]
    public void Team_or_solo_keeps_whichever_way_its_windows_measure_faster()
    {
        using var context = new ComputeContext(2);
        var choice = new TeamOrSolo(context);
        bool teamSlow = true;
        void Steps(int count)
        {
            for (int i = 0; i < count; i++)
            {
                if (context.Solo != teamSlow) Thread.Sleep(3); // the slow way takes 3 ms a step, the fast one nothing
                choice.StepDone();
            }
        }
        Assert.False(choice.Solo);                // the team first
        Steps(2 * TeamOrSolo.Window);             // a window to settle, a timed window of the team, then trying solo
        Assert.True(choice.Solo);
        Steps(2 * TeamOrSolo.Window);             // solo settles, then is timed
        Assert.True(choice.Solo);                 // solo measured faster: kept
        teamSlow = false;                         // now the team would be faster: found at the next try
        Steps(TeamOrSolo.Window * (TeamOrSolo.ProbeEvery + 1));
        Assert.False(choice.Solo);
    }

    [Fact]
    public void Team_or_solo_does_not_time_the_first_window_of_a_way()
    {
        // The team is the faster way, but its first window is slow (code still compiling, a parked worker waking): that
        // window must not send training to one thread.
        using var context = new ComputeContext(2);
        var choice = new TeamOrSolo(context);
        int step = 0;
        void Steps(int count)
        {
            for (int i = 0; i < count; i++, step++)
            {
                if (context.Solo || step < TeamOrSolo.Window) Thread.Sleep(2);
                choice.StepDone();
            }
        }
        Steps(2 * TeamOrSolo.Window);             // the slow first window, then a fast timed one; trying solo next
        Assert.True(choice.Solo);
        Steps(2 * TeamOrSolo.Window);             // solo settles and is timed: slower, so back to the team
        Assert.False(choice.Solo);
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
