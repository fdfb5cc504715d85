using System.Numerics;
using Nabla.Kernels;

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

    /// <summary>
    /// The recipes whose every step must split the same way: the chapter's (sigmoid, quadratic, the fused SGD update), the
    /// practitioner's (ReLU, softmax and log-likelihood, Adam, L2, dropout) and momentum (tanh hidden layers, sigmoid outputs,
    /// cross-entropy, L1, dropout).
    /// </summary>
    public enum Recipe { Chapter, Practitioner, Momentum }

    private static Sgd<T> Trainer<T>(Recipe recipe, int[] sizes, int batch, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hidden = sizes.Length - 2;
        return recipe switch
        {
            Recipe.Chapter => new Sgd<T>(new Network<T>(sizes, Activation.Sigmoid, Initialization.StandardNormal, seed: 4), Cost.Quadratic, T.CreateChecked(0.5), batch, seed: 6, threads: threads),
            Recipe.Practitioner => new Sgd<T>(new Network<T>(sizes, [.. Enumerable.Repeat(Activation.ReLU, hidden), Activation.Softmax], Initialization.ScaledNormal, seed: 4),
                Cost.LogLikelihood, T.CreateChecked(0.001), batch, seed: 6, threads: threads)
            {
                Optimizer = Optimizer<T>.Adam(sizes), Regularization = Regularization.L2(1.0), DropoutProbability = 0.3,
            },
            _ => new Sgd<T>(new Network<T>(sizes, [.. Enumerable.Repeat(Activation.Tanh, hidden), Activation.Sigmoid], Initialization.ScaledNormal, seed: 4),
                Cost.CrossEntropy, T.CreateChecked(0.05), batch, seed: 6, threads: threads)
            {
                Optimizer = Optimizer<T>.Momentum(sizes, 0.9), Regularization = Regularization.L1(0.5), DropoutProbability = 0.2,
            },
        };
    }

    /// <summary>Two epochs of <paramref name="recipe"/>; the weights and biases, and how often the work was cut into parts for the threads.</summary>
    private static (T[] Parameters, long SplitRuns) TrainAndFlatten<T>(Recipe recipe, int threads, int[] sizes, int batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = SyntheticData(examples: 300, seed: 11);
        using var sgd = Trainer<T>(recipe, sizes, batch, threads);
        sgd.Train(data, epochs: 2);
        var network = sgd.Network;
        long splitRuns = sgd.Context.SplitRuns;
        return (Enumerable.Range(1, network.L).SelectMany(l => network.Weights[l].Data.Concat(network.Biases[l])).ToArray(), splitRuns);
    }

    public static TheoryData<Recipe, int[], int> Networks()
    {
        var data = new TheoryData<Recipe, int[], int>();
        foreach (var recipe in Enum.GetValues<Recipe>())
        {
            data.Add(recipe, [784, 30, 10], 10);      // the chapter's network: the first layer's products are split
            data.Add(recipe, [784, 100, 40, 10], 17); // every layer's products split, the optimiser's update too, and a last batch of 300 mod 17 = 11 examples
            data.Add(recipe, [784, 300, 10], 20);     // 4.7 M multiply-adds a step: the first layer's products are cut into pieces taken in turn
            data.Add(recipe, [784, 900, 10], 23);     // 23 × 900 values a layer: σ, σ' and the dropout masks split by examples too (the last batch of 1 is not)
            data.Add(recipe, [784, 512, 256, 10], 64); // a batch: the forward products in the broadcast form, on w packed transposed, and BP2's cut into pieces taken in turn
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void TheSameSeedAndThreadCountGiveBitIdenticalWeights(Recipe recipe, int[] sizes, int batch)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            Assert.Equal(TrainAndFlatten<float>(recipe, threads, sizes, batch).Parameters, TrainAndFlatten<float>(recipe, threads, sizes, batch).Parameters);
            Assert.Equal(TrainAndFlatten<double>(recipe, threads, sizes, batch).Parameters, TrainAndFlatten<double>(recipe, threads, sizes, batch).Parameters);
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void AnyThreadCountGivesTheSameWeights(Recipe recipe, int[] sizes, int batch)
    {
        // Every output element of a split product, every element of an elementwise step (masks included) and of the optimiser's
        // update is computed by the same instructions whichever thread holds it.
        var (floats, serialRuns) = TrainAndFlatten<float>(recipe, 1, sizes, batch);
        var doubles = TrainAndFlatten<double>(recipe, 1, sizes, batch).Parameters;
        Assert.Equal(0, serialRuns);
        foreach (int threads in new[] { 2, 3 })
        {
            var (parallel, splitRuns) = TrainAndFlatten<float>(recipe, threads, sizes, batch);
            // The comparison means something only if work was really split: at least the first layer's three products each step
            // (run by the team, or one part after the other when the trainer found the other cores busy: the same parts).
            Assert.True(splitRuns >= 3 * 2 * (300 / batch), $"{threads} threads: only {splitRuns} runs were split");
            Assert.Equal(floats, parallel);
            Assert.Equal(doubles, TrainAndFlatten<double>(recipe, threads, sizes, batch).Parameters);
        }
    }

    [Fact]
    public void AThreadCountBelowOneIsRejected()
    {
        var network = new Network<float>([784, 30, 10]);
        var error = Assert.Throws<NablaException>(() => new Sgd<float>(network, Cost.Quadratic, 3f, 10, threads: 0));
        Assert.Contains("threads", error.Message);
    }

    [Fact]
    public void A_disposed_trainer_has_stopped_its_threads_and_refuses_to_train()
    {
        var data = SyntheticData(examples: 40, seed: 1);
        var sgd = new Sgd<float>(new Network<float>([784, 30, 10]), Cost.Quadratic, 3f, 10, threads: 2);
        sgd.TrainEpoch(data);
        sgd.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sgd.TrainEpoch(data));
        sgd.Dispose(); // twice is harmless
    }
}
