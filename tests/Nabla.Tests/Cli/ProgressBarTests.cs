using Nabla.Cli;

namespace Nabla.Tests.Cli;

/// <summary>The progress bar, driven by a fake clock: it must move during an epoch, not jump from nothing to 100 %.</summary>
public class ProgressBarTests
{
    /// <summary>A clock that moves only when told to.</summary>
    private sealed class FakeClock(long start = 0) : TimeProvider
    {
        public long Now { get; set; } = start;
        public override long TimestampFrequency => 1_000_000;
        public override long GetTimestamp() => Now;
        public void Advance(double seconds) => Now += (long)(seconds * TimestampFrequency);
    }

    /// <summary>What the terminal shows after each write: the text after the last carriage return.</summary>
    private static List<string> Frames(StringWriter output) =>
        output.ToString().Split('\r', StringSplitOptions.RemoveEmptyEntries).Select(f => f.TrimEnd()).Where(f => f.Length > 0).ToList();

    [Theory]
    [InlineData(0L)]
    [InlineData(long.MaxValue / 2)] // a clock that has run for a long time
    [InlineData(-5_000_000L)]       // timestamps are opaque: they may be negative
    public void The_bar_draws_at_once_then_every_tenth_of_a_second_during_the_epoch(long start)
    {
        var clock = new FakeClock(start);
        var output = new StringWriter();
        var bar = new ProgressBar("Epoch 0", 50_000, 0, output, clock, enabled: true);

        // An epoch of 4 s reported every 1 % (40 ms), as Sgd reports it.
        for (int done = 500; done <= 50_000; done += 500)
        {
            clock.Advance(0.04);
            bar.Report(done);
        }

        var frames = Frames(output);
        // First report, then one every ≥ 0.1 s (every third report at 40 ms), and the end: 1 + 33 + 1, give or take.
        Assert.InRange(frames.Count, 30, 40);
        Assert.StartsWith("Epoch 0 [", frames[0]);
        Assert.Contains("    500/50,000", frames[0]);
        Assert.Contains("50,000/50,000", frames[^1]);
        var counts = frames.Select(f => int.Parse(f.Split(']')[1].Trim().Split('/')[0], System.Globalization.NumberStyles.AllowThousands)).ToList();
        Assert.Equal(counts.Order(), counts); // it only moves forward
        Assert.Contains(counts, c => c is > 20_000 and < 30_000); // seen half way
        foreach (var (frame, count) in frames.Zip(counts))
            Assert.Equal(30 * count / 50_000, frame.Count(ch => ch == '#')); // drawn as full as it is done
    }

    [Fact]
    public void Reports_closer_than_a_tenth_of_a_second_are_not_drawn_but_the_last_one_always_is()
    {
        var clock = new FakeClock();
        var output = new StringWriter();
        var bar = new ProgressBar("Epoch 1", 1000, 0, output, clock, enabled: true);

        bar.Report(100);
        clock.Advance(0.05);
        bar.Report(200);          // too soon
        clock.Advance(0.05);
        bar.Report(300);          // 0.1 s after the first drawing
        clock.Advance(0.01);
        bar.Report(1000);         // the end, however soon

        Assert.Equal(["100/1,000", "300/1,000", "1,000/1,000"], Frames(output).Select(f => f.Split(']')[1].Trim().Split(' ')[0]).ToArray());
    }

    [Fact]
    public void The_rate_and_the_time_left_come_from_the_clock()
    {
        var clock = new FakeClock();
        var output = new StringWriter();
        var bar = new ProgressBar("Epoch 2", 50_000, 0, output, clock, enabled: true);

        clock.Advance(1.0);
        bar.Report(12_500);

        string frame = Assert.Single(Frames(output));
        Assert.Equal("Epoch 2 [#######.......................]  12,500/50,000     12,500 examples/s  0:03 left", frame);
    }

    [Fact]
    public void A_resumed_epoch_counts_only_the_examples_done_since_the_start()
    {
        var clock = new FakeClock();
        var output = new StringWriter();
        var bar = new ProgressBar("Epoch 5", 10_000, 6_000, output, clock, enabled: true);

        clock.Advance(2.0);
        bar.Report(8_000);

        Assert.Contains(" 1,000 examples/s  0:02 left", Assert.Single(Frames(output)));
    }

    [Fact]
    public void Clear_blanks_exactly_what_was_drawn_and_a_disabled_bar_writes_nothing()
    {
        var clock = new FakeClock();
        var output = new StringWriter();
        var bar = new ProgressBar("Epoch 0", 100, 0, output, clock, enabled: true);
        clock.Advance(0.5);
        bar.Report(50);
        int drawn = output.ToString().Length - 1; // less the leading \r
        bar.Clear();
        Assert.EndsWith("\r" + new string(' ', drawn) + "\r", output.ToString());

        var silent = new StringWriter();
        var off = new ProgressBar("Epoch 0", 100, 0, silent, clock, enabled: false);
        off.Report(50);
        off.Report(100);
        off.Clear();
        Assert.Equal("", silent.ToString());
    }
}
