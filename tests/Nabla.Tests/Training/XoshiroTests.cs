namespace Nabla.Tests.Training;

public class XoshiroTests
{
    [Fact]
    public void Xoshiro256_star_star_gives_the_reference_outputs_for_state_1_2_3_4()
    {
        var random = new Xoshiro256(0) { State = [1, 2, 3, 4] };
        Assert.Equal([11520UL, 0UL, 1509978240UL, 1215971899390074240UL],
            [random.NextUInt64(), random.NextUInt64(), random.NextUInt64(), random.NextUInt64()]);
    }

    [Fact]
    public void A_restored_state_continues_the_same_sequence()
    {
        var a = new Xoshiro256(42);
        for (int i = 0; i < 10; i++) a.NextUInt64();
        var b = new Xoshiro256(0) { State = a.State };
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextInt(1000), b.NextInt(1000));
    }

    [Fact]
    public void NextInt_stays_in_range_and_covers_it()
    {
        var random = new Xoshiro256(3);
        var counts = new int[7];
        for (int i = 0; i < 7000; i++) counts[random.NextInt(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 850, 1150));
    }

    [Fact]
    public void Shuffle_is_a_permutation_and_depends_on_the_seed()
    {
        int[] a = Enumerable.Range(0, 50).ToArray(), b = (int[])a.Clone(), c = (int[])a.Clone();
        new Xoshiro256(1).Shuffle(a);
        new Xoshiro256(1).Shuffle(b);
        new Xoshiro256(2).Shuffle(c);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(Enumerable.Range(0, 50), a.Order());
    }

    [Fact]
    public void An_all_zero_state_is_refused()
    {
        Assert.Throws<NablaException>(() => new Xoshiro256(0) { State = [0, 0, 0, 0] });
    }
}
