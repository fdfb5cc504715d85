using System.Numerics;
using Nabla.Data;
using Nabla.Kernels;

namespace Nabla.Tests.Training;

/// <summary>Chapter 3's expanded training data (<see cref="ImageExpansion"/>, <see cref="Sgd{T}.Expansion"/>), made as mini-batches are gathered.</summary>
[Collection(nameof(Performance.AllocationCounting))]
public class ImageExpansionTests
{
    private static readonly ImageShape Mnist = new(28, 28);

    private static readonly Lazy<Dataset> Pixels = new(() =>
        Dataset.FromIdx(TestFiles.Sample("train-images-idx3-ubyte.gz"), TestFiles.Sample("train-labels-idx1-ubyte.gz")).Slice(0, 997));

    [Fact]
    public void Idx_data_knows_its_image_shape_and_keeps_it_in_slices()
    {
        Assert.Equal(Mnist, Pixels.Value.ImageShape);
        Assert.Null(SyntheticData.Make(inputSize: 12, classes: 3, count: 5, seed: 1).ImageShape);
        Assert.Equal(new ImageShape(3, 4), SyntheticData.Make(12, 3, 5, 1).WithShape(3, 4).ImageShape);
        var e = Assert.Throws<NablaException>(() => SyntheticData.Make(12, 3, 5, 1).WithShape(4, 4));
        Assert.Contains("4×4", e.Message);
    }

    [Fact]
    public void Moves_are_drawn_evenly_within_the_bounds_and_the_same_for_the_same_key_and_example()
    {
        var expansion = new ImageExpansion(Mnist, maxShift: 2, maxRotationDegrees: 12);
        const int n = 20_000;
        var moves = Enumerable.Range(0, n).Select(i => expansion.Draw(key: 77, i)).ToArray();
        Assert.Equal(moves, Enumerable.Range(0, n).Select(i => expansion.Draw(77, i)));
        foreach (var counts in new[] { moves.CountBy(m => m.Right), moves.CountBy(m => m.Down) })
        {
            Assert.Equal([-2, -1, 0, 1, 2], counts.Select(c => c.Key).Order());
            Assert.All(counts, c => Assert.InRange(c.Value, n / 5 * 0.9, n / 5 * 1.1));
        }
        Assert.All(moves, m => Assert.InRange(m.Degrees, -12, 12));
        Assert.InRange(moves.Count(m => m.Degrees > 6) / (double)n, 0.22, 0.28); // uniform: a quarter above half the bound
        Assert.InRange(moves.Average(m => m.Degrees), -0.3, 0.3);
        // Another key (another epoch) moves the same example otherwise.
        Assert.True(Enumerable.Range(0, 100).Count(i => expansion.Draw(78, i) != moves[i]) > 90);
        Assert.DoesNotContain(moves, m => m.Mirrored);
        // The chapter's one-pixel shifts alone: no rotation is drawn.
        Assert.All(Enumerable.Range(0, 100), i => Assert.Equal(0, new ImageExpansion(Mnist).Draw(5, i).Degrees));
        // With the mirror, half are mirrored, whatever the rest.
        var mirror = new ImageExpansion(Mnist, maxShift: 2, maxRotationDegrees: 12, mirror: true);
        Assert.InRange(Enumerable.Range(0, n).Count(i => mirror.Draw(77, i).Mirrored) / (double)n, 0.48, 0.52);
    }

    [Fact]
    public void A_mirrored_move_mirrors_then_turns_then_shifts()
    {
        var expansion = new ImageExpansion(Mnist, maxShift: 2, maxRotationDegrees: 12, mirror: true);
        var image = Pixels.Value.Input(3).ToArray();
        var mirrored = new float[784];
        ImageWarp.Mirror(image, mirrored, 28, 28);
        var expected = new float[784];
        ImageWarp.RotateAndShift(mirrored, expected, 28, 28, 7, 1, -2, ImageInterpolation.Nearest, new float[ImageWarp.PaddedLength(28, 28)]);
        var moved = new float[784];
        expansion.Apply(image, moved, new ImageMove(1, -2, 7, Mirrored: true));
        Assert.Equal(expected, moved);
        ImageWarp.Shift(mirrored, expected, 28, 28, -1, 0);
        expansion.Apply(image, moved, new ImageMove(-1, 0, 0, Mirrored: true));
        Assert.Equal(expected, moved);
    }

    [Theory]
    [InlineData(-1, 0.0, "largest shift must be 0 to 27")]
    [InlineData(28, 0.0, "largest shift must be 0 to 27")]
    [InlineData(1, -3.0, "largest rotation must be 0 to 180")]
    [InlineData(1, double.NaN, "largest rotation must be 0 to 180")]
    [InlineData(0, 0.0, "no image would move")]
    public void Sizes_out_of_range_are_refused(int shift, double degrees, string message)
    {
        var e = Assert.Throws<NablaException>(() => new ImageExpansion(Mnist, shift, degrees));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void The_batch_holds_each_example_moved_by_its_own_draw()
    {
        var data = Pixels.Value;
        var expansion = new ImageExpansion(Mnist, maxShift: 2, maxRotationDegrees: 15);
        var network = new Network<float>([784, 5, 10]);
        int[] indices = [5, 900, 17, 5];
        foreach (int threads in new[] { 1, 2 })
        {
            using var context = threads == 1 ? null : new ComputeContext(threads);
            using var loader = new MiniBatchLoader<float>(network.Sizes, capacity: 4, context ?? ComputeContext.Serial) { Transform = expansion };
            var batch = new MiniBatch<float>(network, 4);
            loader.Load(batch, data, indices, draw: 123);
            var moved = new float[784];
            for (int i = 0; i < indices.Length; i++)
            {
                var move = expansion.Draw(123, indices[i]);
                expansion.Apply(data.Input(indices[i]), moved, move);
                Assert.Equal(moved, batch.Activation(0).Slice(i * 784, 784).ToArray());
                Assert.NotEqual(data.Input(indices[i]).ToArray(), moved); // the move changed the image
            }
        }
    }

    private static T[] Train<T>(Dataset data, int threads, bool loadAhead, ImageExpansion? expansion, int epochs = 2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var network = new Network<T>([784, 30, 10], [Activation.ReLU, Activation.Softmax], Initialization.ScaledNormal, seed: 4);
        using var sgd = new Sgd<T>(network, Cost.LogLikelihood, T.CreateChecked(0.05), 10, seed: 6, threads)
        {
            LoadAhead = loadAhead, DropoutProbability = 0.2, Expansion = expansion,
        };
        sgd.Train(data, epochs);
        return Enumerable.Range(1, network.L).SelectMany(l => network.Weights[l].Data.Concat(network.Biases[l])).ToArray();
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_for_any_thread_count_and_with_or_without_loading_ahead()
    {
        var expansion = new ImageExpansion(Mnist, maxShift: 1, maxRotationDegrees: 10);
        var one = Train<float>(Pixels.Value, threads: 1, loadAhead: false, expansion);
        Assert.Equal(one, Train<float>(Pixels.Value, threads: 1, loadAhead: true, expansion));
        Assert.Equal(one, Train<float>(Pixels.Value, threads: 2, loadAhead: false, expansion));
        Assert.Equal(one, Train<float>(Pixels.Value, threads: 3, loadAhead: false, expansion));
        Assert.Equal(Train<double>(Pixels.Value, 1, false, expansion), Train<double>(Pixels.Value, 2, false, expansion));
        // And the expansion is not a no-op: without it the same seed ends elsewhere.
        Assert.NotEqual(one, Train<float>(Pixels.Value, threads: 1, loadAhead: false, expansion: null));
    }

    [Fact]
    public void Each_epoch_draws_a_new_key()
    {
        var network = new Network<float>([784, 10, 10]);
        using var sgd = new Sgd<float>(network, Cost.Quadratic, 1f, 50, seed: 3) { Expansion = new ImageExpansion(Mnist) };
        var keys = new List<ulong>();
        for (int epoch = 0; epoch < 4; epoch++)
        {
            sgd.TrainEpoch(Pixels.Value);
            keys.Add(sgd.ExpansionKey);
        }
        Assert.Equal(4, keys.Distinct().Count());
    }

    [Fact]
    public void Data_without_an_image_shape_or_of_another_shape_is_refused()
    {
        var network = new Network<float>([12, 5, 3]);
        using var sgd = new Sgd<float>(network, Cost.Quadratic, 1f, 5) { Expansion = new ImageExpansion(new ImageShape(3, 4)) };
        var table = SyntheticData.Make(12, 3, 20, 1);
        var e = Assert.Throws<NablaException>(() => sgd.TrainEpoch(table));
        Assert.Contains("no image shape", e.Message);
        e = Assert.Throws<NablaException>(() => sgd.TrainEpoch(table.WithShape(4, 3)));
        Assert.Contains("for images of 3×4, the training data holds images of 4×3", e.Message);
        Assert.Equal(0, sgd.Position);
        Assert.Contains("no image shape", Assert.Throws<NablaException>(() => sgd.Step(table, [0, 1, 2])).Message);
        sgd.TrainEpoch(table.WithShape(3, 4)); // the right shape trains

        e = Assert.Throws<NablaException>(() => sgd.Expansion = new ImageExpansion(Mnist));
        Assert.Contains("784 inputs, but the network's input layer has 12 neurons", e.Message);
    }

    private static TrainingRun<float> MakeRun(int epochs)
    {
        int[] sizes = [12, 8, 4];
        var network = new Network<float>(sizes, [Activation.ReLU, Activation.Softmax], Initialization.ScaledNormal, seed: 5);
        var sgd = new Sgd<float>(network, Cost.LogLikelihood, 0.01f, miniBatchSize: 7, seed: 11)
        {
            Optimizer = Optimizer<float>.Adam(sizes),
            DropoutProbability = 0.3,
            Expansion = new ImageExpansion(new ImageShape(3, 4), maxShift: 1, maxRotationDegrees: 20),
        };
        return new TrainingRun<float>(sgd, new ConstantSchedule(0.01), epochs);
    }

    [Fact]
    public void An_epoch_interrupted_part_way_resumes_from_a_checkpoint_bit_for_bit()
    {
        var training = SyntheticData.Make(inputSize: 12, classes: 4, count: 200, seed: 1).WithShape(3, 4);
        var validation = SyntheticData.Make(inputSize: 12, classes: 4, count: 30, seed: 2).WithShape(3, 4);
        var straight = MakeRun(3);
        while (!straight.Finished) straight.RunEpoch(training, validation);

        using var folder = new TempDirectory();
        var first = MakeRun(3);
        first.RunEpoch(training, validation);
        using var stop = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            first.RunEpoch(training, validation, onProgress: done => { if (done >= 90) stop.Cancel(); }, cancellation: stop.Token));
        Assert.InRange(first.Sgd.Position, 90, 199);
        Checkpoint.Save(first, folder.Path);
        Assert.Equal(first.Sgd.ExpansionKey.ToString(), Checkpoint.ReadState(folder.Path).ExpansionKey);

        var resumed = MakeRun(3);
        Checkpoint.Restore(resumed, folder.Path);
        Assert.Equal(first.Sgd.ExpansionKey, resumed.Sgd.ExpansionKey);
        while (!resumed.Finished) resumed.RunEpoch(training, validation);

        for (int l = 1; l <= straight.Sgd.Network.L; l++)
            Assert.Equal(straight.Sgd.Network.Weights[l].Data, resumed.Sgd.Network.Weights[l].Data);
        Assert.NotEqual(first.Sgd.Network.Weights[1].Data, resumed.Sgd.Network.Weights[1].Data);
    }

    [Fact]
    public void An_epoch_with_the_expansion_allocates_nothing_once_warm()
    {
        var network = new Network<float>([784, 30, 10], Activation.Sigmoid, Initialization.StandardNormal, seed: 2);
        using var sgd = new Sgd<float>(network, Cost.Quadratic, 3f, miniBatchSize: 10, seed: 3)
        {
            Expansion = new ImageExpansion(Mnist, maxShift: 1, maxRotationDegrees: 10),
        };
        sgd.TrainEpoch(Pixels.Value); // warm-up: JIT, this thread's scratch, the order array
        Assert.Equal(0, TestFiles.SteadyAllocation(() => sgd.TrainEpoch(Pixels.Value)));
    }
}
