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
    public void OffByDefault()
    {
        var network = new Network<float>([4, 3, 2]);
        Assert.False(new Sgd<float>(network, Cost.Quadratic, 1f, 10).LoadAhead);
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
        long allocated = TestFiles.SteadyAllocation(() => sgd.TrainEpoch(data));
        Assert.True(allocated == 0, $"an epoch of 1,000 steps with the loader allocated {allocated} bytes (the fewest of three epochs)");
    }
}

/// <summary>
/// <see cref="MiniBatchLoader{T}"/> fills a batch in line (one thread, or shared among the threads of the products), ahead on its
/// helper thread, or (when the helper has not started a request) on the caller: the same rows, bit for bit, every way.
/// </summary>
public class MiniBatchLoaderTests
{
    private static readonly Lazy<Dataset> Pixels = new(() =>
        Dataset.FromIdx(TestFiles.Sample("train-images-idx3-ubyte.gz"), TestFiles.Sample("train-labels-idx1-ubyte.gz")).Slice(0, 300));

    private static readonly int[] Indices = [299, 0, 17, 17, 150, 3, 42, 298, 5, 77, 1, 200, 9];
    private static readonly int[] Sizes = [784, 5, 10];

    private enum Way { InLine, Ahead, TakenOver }

    private static (T[] Inputs, T[] Targets) Load<T>(Dataset data, int threads, Way way, IInputTransform? transform = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var context = new Nabla.Kernels.ComputeContext(threads);
        var batch = new MiniBatch<T>(new Network<T>(Sizes), 20, context);
        using var loader = new MiniBatchLoader<T>(Sizes, 20, context) { Transform = transform };
        if (way == Way.InLine)
        {
            loader.Load(batch, data, Indices, draw: 1000);
        }
        else
        {
            using var gate = new ManualResetEventSlim(false);
            if (way == Way.TakenOver) loader.HelperGate = gate; // the helper claims nothing until the gate opens
            loader.StartLoading(data, Indices, 0, Indices.Length, draw: 1000);
            loader.FinishLoading(batch);
            Assert.Equal(way == Way.TakenOver ? 1 : loader.TakenOver, loader.TakenOver);
            gate.Set();
        }
        Assert.Equal(Indices.Length, batch.Size);
        return (batch.Activation(0).ToArray(), batch.Targets.ToArray());
    }

    /// <summary>The rows as stored: pixel / 255 for images, the floats otherwise; targets one-hot.</summary>
    private static (double[] Inputs, double[] Targets) Expected(Dataset data, Func<int, int, float, float>? transform = null)
    {
        var inputs = new List<double>();
        var targets = new double[Indices.Length * 10];
        for (int i = 0; i < Indices.Length; i++)
        {
            var row = data.Input(Indices[i]);
            for (int j = 0; j < row.Length; j++) inputs.Add(transform is null ? row[j] : transform(i, j, row[row.Length - 1 - j]));
            targets[i * 10 + data.Labels![Indices[i]]] = 1;
        }
        return (inputs.ToArray(), targets);
    }

    public static TheoryData<int, string> Ways => new()
    {
        { 1, "InLine" }, { 2, "InLine" }, { 3, "InLine" }, { 1, "Ahead" }, { 1, "TakenOver" },
    };

    [Theory]
    [MemberData(nameof(Ways))]
    public void Every_way_gathers_the_rows_as_stored_and_one_hot_targets(int threads, string way)
    {
        var floats = Performance.ParallelTrainingTests.SyntheticData(examples: 300, seed: 8);
        foreach (var data in new[] { Pixels.Value, floats })
        {
            var (inputs, targets) = Expected(data);
            var (x, y) = Load<float>(data, threads, Enum.Parse<Way>(way));
            Assert.Equal(inputs.Select(v => (float)v), x);
            Assert.Equal(targets.Select(v => (float)v), y);
            var (xd, yd) = Load<double>(data, threads, Enum.Parse<Way>(way));
            Assert.Equal(inputs, xd);
            Assert.Equal(targets, yd);
        }
    }

    /// <summary>Reverses each row and adds the draw plus the example's index: what it writes depends on the example and the draw only.</summary>
    private sealed class ReverseAndMark : IInputTransform
    {
        public void Transform(ReadOnlySpan<float> input, Span<float> output, int example, ulong draw)
        {
            for (int j = 0; j < input.Length; j++) output[j] = input[input.Length - 1 - j] + (float)(draw + (ulong)example);
        }
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public void A_transform_changes_each_row_as_it_is_gathered_the_same_way_every_way(int threads, string way)
    {
        // Row i gets 1000 + its example's index: the batch's draw and the example, whichever thread gathers it.
        var (inputs, _) = Expected(Pixels.Value, (i, j, reversed) => reversed + (float)(1000 + Indices[i]));
        var (x, _) = Load<float>(Pixels.Value, threads, Enum.Parse<Way>(way), new ReverseAndMark());
        Assert.Equal(inputs.Select(v => (float)v), x);
    }

    [Fact]
    public void An_index_outside_the_data_is_refused_every_way()
    {
        using var context = new Nabla.Kernels.ComputeContext(2);
        var batch = new MiniBatch<float>(new Network<float>(Sizes), 20, context);
        using var loader = new MiniBatchLoader<float>(Sizes, 20, context);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => loader.Load(batch, Pixels.Value, [1, 2, 3, 300, 4, 5]));
        Assert.Contains("example 300", error.Message);
        loader.StartLoading(Pixels.Value, [1, 2, 300], 0, 3);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => loader.FinishLoading(batch));
        Assert.Contains("example 300", error.Message);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => batch.Load(Pixels.Value, [300]));
        Assert.Contains("example 300", error.Message);
    }

    [Fact]
    public void Regression_targets_are_gathered_as_rows_of_values()
    {
        var inputs = Enumerable.Range(0, 6 * 784).Select(i => i % 7 / 7f).ToArray();
        var values = Enumerable.Range(0, 6 * 3).Select(i => i * 0.5f).ToArray();
        var data = Dataset.ForRegression(inputs, values, 784, 3);
        int[] sizes = [784, 4, 3];
        using var context = new Nabla.Kernels.ComputeContext(2);
        var batch = new MiniBatch<float>(new Network<float>(sizes), 4, context);
        using var loader = new MiniBatchLoader<float>(sizes, 4, context);
        loader.StartLoading(data, [5, 0, 2], 0, 3);
        loader.FinishLoading(batch);
        Assert.Equal([7.5f, 8f, 8.5f, 0f, 0.5f, 1f, 3f, 3.5f, 4f], batch.Targets.ToArray());
    }
}
