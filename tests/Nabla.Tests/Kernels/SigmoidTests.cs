using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.Kernels;

public class SigmoidTests
{
    private static double Exact(float z) => 1.0 / (1.0 + Math.Exp(-(double)z));

    /// <summary>The error of <paramref name="value"/> in units in the last place of the float nearest <paramref name="exact"/>.</summary>
    private static double Ulps(float value, double exact)
    {
        float nearest = (float)exact;
        return Math.Abs(value - exact) / (MathF.BitIncrement(nearest) - nearest);
    }

    [Fact]
    public void FloatIsWithinTwoAndAHalfUlpOfTheExactValueOverTheWholeRange()
    {
        // 2 M points over [−100, 100]: both tails, the steep middle, and where e^(−|z|) leaves the normal range.
        const int count = 2_000_000;
        var z = new float[count];
        for (int i = 0; i < count; i++) z[i] = -100f + 200f * i / count;
        var sigma = new float[count];
        Elementwise.Sigmoid<float>(z, sigma);
        double worst = 0;
        for (int i = 0; i < count; i++)
        {
            double exact = Exact(z[i]);
            if (exact < 1.1754944e-38) Assert.InRange(sigma[i], 0f, 1.1754944e-38f); // σ below float's normal range: 0 or tiny
            else worst = Math.Max(worst, Ulps(sigma[i], exact));
        }
        // Measured: 2.40 ulp (TensorPrimitives.Sigmoid: 3.66 on the same points).
        Assert.InRange(worst, 0, 2.5);
    }

    [Fact]
    public void SpecialValues()
    {
        float[] z = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e-30f, -1e-30f, 17f, 88f, 89f, -88f, -1000f, float.MaxValue, float.MinValue];
        var sigma = new float[z.Length];
        Elementwise.Sigmoid<float>(z, sigma);
        Assert.True(float.IsNaN(sigma[0]));
        Assert.Equal([1f, 0f, 0.5f, 0.5f, 0.5f, 0.5f], sigma[1..7]);
        Assert.Equal(1f, sigma[8]);
        Assert.Equal(1f, sigma[9]);
        Assert.InRange(sigma[10], 0f, 1.2e-38f);
        Assert.Equal([0f, 1f, 0f], sigma[11..]);
        Assert.Equal((float)Exact(17f), sigma[7], 6e-8f);
    }

    [Fact]
    public void EveryPositionGetsTheSameFunction()
    {
        // The elements after the last whole vector go through the same vector code: σ(z) does not depend on where z lies.
        var random = new Random(3);
        var z = Enumerable.Range(0, 40).Select(_ => (float)(random.NextDouble() * 24 - 12)).ToArray();
        var whole = new float[z.Length];
        Elementwise.Sigmoid<float>(z, whole);
        for (int length = 1; length <= z.Length; length++)
            for (int start = 0; start + length <= z.Length; start += 7)
            {
                var part = new float[length];
                Elementwise.Sigmoid<float>(z.AsSpan(start, length), part);
                Assert.Equal(whole.AsSpan(start, length).ToArray(), part);
            }
    }

    [Fact]
    public void DoubleIsTensorPrimitivesSigmoid()
    {
        var z = Enumerable.Range(0, 1001).Select(i => -50.0 + 0.1 * i).ToArray();
        var ours = new double[z.Length];
        var theirs = new double[z.Length];
        Elementwise.Sigmoid<double>(z, ours);
        TensorPrimitives.Sigmoid<double>(z, theirs);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void EmptyInputAndMismatchedLengths()
    {
        Elementwise.Sigmoid<float>([], []);
        var error = Assert.Throws<ArgumentException>(() => Elementwise.Sigmoid<float>(new float[3], new float[2]));
        Assert.Contains("length", error.Message);
    }
}
