using Nabla.Kernels;

namespace Nabla.Tests.Kernels;

public class DropoutMaskTests
{
    private static bool[] Kept(ulong key, uint threshold, int count) =>
        Enumerable.Range(0, count).Select(i => DropoutMask.Keeps(key, threshold, (uint)i)).ToArray();

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Each_neuron_is_dropped_with_probability_p(double p)
    {
        const int n = 1 << 20;
        var kept = Kept(0x1234_5678_9ABC_DEF0, DropoutMask.Threshold(p), n);
        double dropped = kept.Count(k => !k) / (double)n;
        double sigma = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(dropped, p - 5 * sigma, p + 5 * sigma);
    }

    [Fact]
    public void Masks_of_neighbours_of_other_layers_and_of_other_steps_are_independent()
    {
        // P(both dropped) = p² for neighbouring neurons, the same neuron of the next example (n = 500 apart), of another layer, and of the next step.
        const double p = 0.3;
        const int n = 1 << 20;
        uint threshold = DropoutMask.Threshold(p);
        var random = new Xoshiro256(5);
        ulong key = random.NextUInt64(), otherLayer = random.NextUInt64(), nextStep = random.NextUInt64();
        var a = Kept(key, threshold, n + 500);
        var b = Kept(otherLayer, threshold, n);
        var c = Kept(nextStep, threshold, n);
        double sigma = Math.Sqrt(p * p * (1 - p * p) / n);
        void Joint(Func<int, bool> bothDropped, string what)
        {
            double joint = Enumerable.Range(0, n).Count(bothDropped) / (double)n;
            Assert.True(Math.Abs(joint - p * p) < 5 * sigma, $"{what}: P(both dropped) = {joint:F5}, expected {p * p:F5}");
        }
        Joint(i => !a[i] && !a[i + 1], "neighbouring neurons");
        Joint(i => !a[i] && !a[i + 500], "the next example");
        Joint(i => !a[i] && !b[i], "another layer");
        Joint(i => !a[i] && !c[i], "the next step");
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(7, 3)]
    [InlineData(8, 0)]
    [InlineData(37, 101)]
    [InlineData(1000, 8)]
    public void Vector_and_scalar_code_apply_the_same_mask_wherever_a_span_starts(int length, int firstIndex)
    {
        ulong key = 0xDEAD_BEEF_0123_4567;
        uint threshold = DropoutMask.Threshold(0.4);
        var rng = new Random(length);
        float[] source = Enumerable.Range(0, length).Select(_ => (float)rng.NextDouble() + 0.5f).ToArray();
        double[] sourceD = source.Select(x => (double)x).ToArray();
        var masked = new float[length];
        var maskedD = new double[length];
        DropoutMask.Apply<float>(source, masked, key, threshold, 2.5f, firstIndex);   // float: vectors where the hardware has them
        DropoutMask.Apply<double>(sourceD, maskedD, key, threshold, 2.5, firstIndex); // double: element by element
        for (int e = 0; e < length; e++)
        {
            bool keep = DropoutMask.Keeps(key, threshold, (uint)(firstIndex + e));
            Assert.Equal(keep ? source[e] * 2.5f : 0f, masked[e]);
            Assert.Equal(keep ? sourceD[e] * 2.5 : 0.0, maskedD[e]);
        }
        // In place, as BP2 applies it to δ.
        DropoutMask.Apply<float>(source, source, key, threshold, 2.5f, firstIndex);
        Assert.Equal(masked, source);
    }

    [Fact]
    public void A_probability_outside_zero_to_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Threshold(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Threshold(-0.1));
        Assert.Equal(0u, DropoutMask.Threshold(0));
        Assert.Throws<NablaException>(() => new Dropout(1.0));
    }
}
