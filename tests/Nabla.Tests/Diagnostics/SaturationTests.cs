using Nabla.Diagnostics;

namespace Nabla.Tests.Diagnostics;

public class SaturationTests
{
    /// <summary>
    /// [2, 2, 1] sigmoid. Hidden neuron 0 has z = 100·x_0 (saturated on both examples), hidden neuron 1 has z = 0
    /// (σ' = ¼). Input x_1 is always 0. The output has w = 0, b = 0, so z = 0, a = ½, and its target is 1 (class 0 of 1).
    /// </summary>
    private static (Network<double>, Dataset) HandBuilt()
    {
        var w1 = new Matrix<double>(2, 2, [100, 0, 0, 0]);
        var w2 = new Matrix<double>(1, 2, [0, 0]);
        var net = new Network<double>([2, 2, 1], [Activation.Sigmoid, Activation.Sigmoid], [w1, w2], [new double[2], new double[1]]);
        var data = new Dataset([1f, 0f, -1f, 0f], [0, 0], inputSize: 2, classCount: 1);
        return (net, data);
    }

    [Fact]
    public void Saturation_figures_of_a_hand_built_network_are_the_known_ones()
    {
        var (net, data) = HandBuilt();
        var report = Saturation.Measure(net, Cost.Quadratic, data);
        Assert.Equal(2, report.Examples);
        var (first, output) = (report.Layers[0], report.Layers[1]);

        Assert.Equal(0.5, first.SaturatedFraction);      // neuron 0 on both examples, of 4
        Assert.Equal(0.5, first.InactiveInputFraction);  // x_1 = 0 on both examples, of 4
        Assert.Equal(0.0, first.MeanAbsDelta);           // BP2 through w² = 0
        Assert.Equal(0.0, first.WeightGradientNorm);
        Assert.Equal(0.0, first.BiasGradientNorm);

        Assert.Equal(0.0, output.SaturatedFraction);     // z = 0, σ' = ¼
        Assert.Equal(0.25, output.InactiveInputFraction); // a^1_0 = σ(−100) ≈ 0 on the second example
        Assert.Equal(0.125, output.MeanAbsDelta, 12);    // BP1: (½ − 1)·¼
        Assert.Equal(0.125, output.BiasGradientNorm, 12);
        // ∂C/∂w² = mean of δ a^1 = −⅛ (mean a^1_0, mean a^1_1) = −⅛ (½, ½)
        Assert.Equal(0.125 * Math.Sqrt(0.5), output.WeightGradientNorm, 12);
    }

    [Fact]
    public void Measuring_in_small_batches_gives_the_same_figures_as_one_batch()
    {
        var net = new Network<double>([6, 5, 3], seed: 4);
        var random = new Random(1);
        var data = new Dataset(Enumerable.Range(0, 6 * 23).Select(_ => (float)random.NextDouble()).ToArray(),
            Enumerable.Range(0, 23).Select(i => i % 3).ToArray(), 6, 3);
        var whole = Saturation.Measure(net, Cost.CrossEntropy, data, options: new SaturationOptions { DerivativeThreshold = 0.1 });
        var pieces = Saturation.Measure(net, Cost.CrossEntropy, data, options: new SaturationOptions { DerivativeThreshold = 0.1, BatchSize = 4 });
        for (int l = 0; l < 2; l++)
        {
            Assert.Equal(whole.Layers[l].SaturatedFraction, pieces.Layers[l].SaturatedFraction);
            Assert.Equal(whole.Layers[l].WeightGradientNorm, pieces.Layers[l].WeightGradientNorm, 12);
            Assert.Equal(whole.Layers[l].MeanAbsDelta, pieces.Layers[l].MeanAbsDelta, 12);
        }
    }

    [Fact]
    public void A_sample_is_distinct_examples_and_the_same_seed_gives_the_same_sample()
    {
        var data = new Dataset(new float[100], new int[100], 1, 1);
        var a = Saturation.Sample(data, 30, seed: 3);
        Assert.Equal(30, a.Distinct().Count());
        Assert.Equal(a, Saturation.Sample(data, 30, seed: 3));
        Assert.Equal(100, Saturation.Sample(data, 500, seed: 3).Length);
    }
}
