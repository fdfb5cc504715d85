using System.Numerics;

namespace Nabla.Tests.Performance;

public class ParallelTrainingTests
{
    /// <summary>Random pixels in [0, 1] with random labels, 784 inputs and 10 classes: the shape of MNIST.</summary>
    internal static Dataset SyntheticData(int examples, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[examples * 784];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = random.Next(256) / 255f;
        var labels = new int[examples];
        for (int i = 0; i < labels.Length; i++) labels[i] = random.Next(10);
        return new Dataset(pixels, labels, 784);
    }

    private static T[] TrainAndFlatten<T>(int threads, int[] sizes, int batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = SyntheticData(examples: 300, seed: 11);
        var network = new Network<T>(sizes, Activation.Sigmoid, Initialization.StandardNormal, seed: 4);
        var sgd = new Sgd<T>(network, Cost.Quadratic, T.CreateChecked(0.5), batch, seed: 6, threads: threads);
        sgd.Train(data, epochs: 2);
        return Enumerable.Range(1, network.L).SelectMany(l => network.Weights[l].Data.Concat(network.Biases[l])).ToArray();
    }

    public static TheoryData<int[], int> Networks => new()
    {
        { [784, 30, 10], 10 },      // the chapter's network: the first layer's products are split
        { [784, 100, 40, 10], 17 }, // every layer's products split, and a last batch of 300 mod 17 = 11 examples
        { [784, 300, 10], 20 },     // 4.7 M multiply-adds a step: the first layer's products are cut into pieces taken in turn
        { [784, 900, 10], 23 },     // 23 × 900 values a layer: σ and σ' split by examples too (the last batch of 1 is not)
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void TheSameSeedAndThreadCountGiveBitIdenticalWeights(int[] sizes, int batch)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            Assert.Equal(TrainAndFlatten<float>(threads, sizes, batch), TrainAndFlatten<float>(threads, sizes, batch));
            Assert.Equal(TrainAndFlatten<double>(threads, sizes, batch), TrainAndFlatten<double>(threads, sizes, batch));
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void AnyThreadCountGivesTheSameWeights(int[] sizes, int batch)
    {
        // Every output element of a split product is computed by the same instructions whichever thread holds it.
        var floats = TrainAndFlatten<float>(1, sizes, batch);
        var doubles = TrainAndFlatten<double>(1, sizes, batch);
        foreach (int threads in new[] { 2, 3 })
        {
            Assert.Equal(floats, TrainAndFlatten<float>(threads, sizes, batch));
            Assert.Equal(doubles, TrainAndFlatten<double>(threads, sizes, batch));
        }
    }

    [Fact]
    public void AThreadCountBelowOneIsRejected()
    {
        var network = new Network<float>([784, 30, 10]);
        var error = Assert.Throws<NablaException>(() => new Sgd<float>(network, Cost.Quadratic, 3f, 10, threads: 0));
        Assert.Contains("threads", error.Message);
    }
}
