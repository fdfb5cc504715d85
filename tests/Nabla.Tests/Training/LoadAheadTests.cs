using System.Numerics;
using Nabla.Data;

namespace Nabla.Tests.Training;

/// <summary>Gathering the next mini-batch on a helper thread (<see cref="Sgd{T}.LoadAhead"/>) must change nothing but the time.</summary>
[Collection(nameof(Performance.AllocationCounting))]
public class LoadAheadTests
{
    private static readonly Lazy<Dataset> Pixels = new(() =>
        Dataset.FromIdx(TestFiles.Sample("train-images-idx3-ubyte.gz"), TestFiles.Sample("train-labels-idx1-ubyte.gz")).Slice(0, 997));

    private static T[] Train<T>(Dataset data, bool loadAhead, int batch, double dropout = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var network = new Network<T>([784, 20, 10], Activation.Sigmoid, Initialization.StandardNormal, seed: 4);
        var sgd = new Sgd<T>(network, Cost.CrossEntropy, T.CreateChecked(0.5), batch, seed: 6) { LoadAhead = loadAhead, DropoutProbability = dropout };
        Assert.Equal(loadAhead, sgd.LoadAhead);
        sgd.Train(data, epochs: 2);
        return Enumerable.Range(1, network.L).SelectMany(l => network.Weights[l].Data.Concat(network.Biases[l])).ToArray();
    }

    [Theory]
    [InlineData(10, 0.0)]
    [InlineData(13, 0.0)]  // 997 = 76·13 + 9: a short last batch
    [InlineData(10, 0.3)]  // dropout draws its masks on the training thread, in the same order
    public void TheSameWeightsWithAndWithoutTheLoader(int batch, double dropout)
    {
        Assert.Equal(Train<float>(Pixels.Value, false, batch, dropout), Train<float>(Pixels.Value, true, batch, dropout));
        Assert.Equal(Train<double>(Pixels.Value, false, batch, dropout), Train<double>(Pixels.Value, true, batch, dropout));
        var floats = Performance.ParallelTrainingTests.SyntheticData(examples: 205, seed: 3);
        Assert.Equal(Train<float>(floats, false, batch, dropout), Train<float>(floats, true, batch, dropout));
    }

    [Fact]
    public void OnByDefaultWithOneThreadOnAMachineWithAnotherCore()
    {
        var network = new Network<float>([4, 3, 2]);
        Assert.Equal(Environment.ProcessorCount > 1, new Sgd<float>(network, Cost.Quadratic, 1f, 10).LoadAhead);
        Assert.False(new Sgd<float>(network, Cost.Quadratic, 1f, 10, threads: 2).LoadAhead);
    }

    [Fact]
    public void AnErrorInTheLoaderReachesTheCallerAsItself()
    {
        // Ten classes of labels against three output neurons: the gather refuses, on the helper thread.
        var network = new Network<float>([784, 5, 3]);
        var sgd = new Sgd<float>(network, Cost.Quadratic, 1f, 10) { LoadAhead = true };
        var error = Assert.Throws<NablaException>(() => sgd.TrainEpoch(Pixels.Value));
        Assert.Contains("the output layer has 3 neurons", error.Message);
    }

    [Fact]
    public void AnEpochCutShortThenResumedEqualsOneUninterruptedRun()
    {
        float[] Run(bool interrupt)
        {
            var network = new Network<float>([784, 20, 10], Activation.Sigmoid, Initialization.StandardNormal, seed: 4);
            var sgd = new Sgd<float>(network, Cost.Quadratic, 3f, 10, seed: 6) { LoadAhead = true };
            if (interrupt)
            {
                using var cancel = new CancellationTokenSource();
                Assert.Throws<OperationCanceledException>(() => sgd.TrainEpoch(Pixels.Value, done => { if (done >= 500) cancel.Cancel(); }, cancel.Token));
                Assert.InRange(sgd.Position, 500, 520);
            }
            sgd.TrainEpoch(Pixels.Value);
            sgd.TrainEpoch(Pixels.Value);
            return Enumerable.Range(1, network.L).SelectMany(l => network.Weights[l].Data.Concat(network.Biases[l])).ToArray();
        }
        Assert.Equal(Run(false), Run(true));
    }

    [Fact]
    public void AnEpochWithTheLoaderAllocatesNothingOnTheTrainingThread()
    {
        var data = Performance.ParallelTrainingTests.SyntheticData(examples: 10_000, seed: 5); // 1,000 mini-batches an epoch
        var network = new Network<float>([784, 30, 10], Activation.Sigmoid, Initialization.StandardNormal, seed: 2);
        var sgd = new Sgd<float>(network, Cost.Quadratic, 3f, miniBatchSize: 10, seed: 3) { LoadAhead = true };
        sgd.TrainEpoch(data); // warm-up: JIT, the loader's thread and buffers, the order array
        long before = GC.GetAllocatedBytesForCurrentThread();
        sgd.TrainEpoch(data);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"an epoch of 1,000 steps with the loader allocated {allocated} bytes");
    }
}

/// <summary>With more than one thread for the products, a batch's rows are gathered by all of them.</summary>
public class ParallelGatherTests
{
    private static readonly Lazy<Dataset> Pixels = new(() =>
        Dataset.FromIdx(TestFiles.Sample("train-images-idx3-ubyte.gz"), TestFiles.Sample("train-labels-idx1-ubyte.gz")).Slice(0, 300));

    private static (T[] Inputs, T[] Targets) Load<T>(Dataset data, int[] indices, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var context = new Nabla.Kernels.ComputeContext(threads);
        var batch = new MiniBatch<T>(new Network<T>([784, 5, 10]), 20, context);
        batch.Load(data, indices);
        return (batch.Activation(0).ToArray(), batch.Targets.ToArray());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void TheSameBatchAsOneThreadGathers(int threads)
    {
        int[] indices = [299, 0, 17, 17, 150, 3, 42, 298, 5, 77, 1, 200, 9];
        var floats = Performance.ParallelTrainingTests.SyntheticData(examples: 300, seed: 8);
        foreach (var data in new[] { Pixels.Value, floats })
        {
            var (x1, y1) = Load<float>(data, indices, 1);
            var (x, y) = Load<float>(data, indices, threads);
            Assert.Equal(x1, x);
            Assert.Equal(y1, y);
            var (d1, t1) = Load<double>(data, indices, 1);
            var (d, t) = Load<double>(data, indices, threads);
            Assert.Equal(d1, d);
            Assert.Equal(t1, t);
        }
    }

    [Fact]
    public void AnIndexOutsideTheDataIsRefusedAsWithOneThread()
    {
        using var context = new Nabla.Kernels.ComputeContext(2);
        var batch = new MiniBatch<float>(new Network<float>([784, 5, 10]), 20, context);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => batch.Load(Pixels.Value, [1, 2, 3, 300, 4, 5]));
        Assert.Contains("example 300", error.Message);
    }
}
