namespace Nabla.Tests.Training;

/// <summary>Misuse of the run and of the metrics is refused before anything changes.</summary>
public class RunArgumentTests
{
    [Theory]
    [InlineData("early-stopping")]
    [InlineData("halving")]
    public void An_epoch_without_the_evaluation_data_its_run_needs_is_refused_before_the_weights_move(string needs)
    {
        var training = SyntheticData.Make(inputSize: 12, classes: 4, count: 200, seed: 1);
        var network = new Network<float>([12, 16, 4], seed: 2);
        var before = network.Weights[1].Data.ToArray();
        LearningRateSchedule schedule = needs == "halving" ? new HalvingSchedule(0.5, patience: 2, maxHalvings: 3) : new ConstantSchedule(0.5);
        var run = new TrainingRun<float>(new Sgd<float>(network, Cost.Quadratic, 0.5f, 10, seed: 3), schedule, epochs: 3,
            needs == "early-stopping" ? new EarlyStopping(patience: 2) : null);

        var e = Assert.Throws<NablaException>(() => run.RunEpoch(training, evaluation: null));

        Assert.Contains(needs == "halving" ? "the halving schedule needs evaluation data" : "early stopping needs evaluation data", e.Message);
        Assert.Equal(before, network.Weights[1].Data);
        Assert.Equal(0, run.Epoch);
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(3, 0)]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    public void A_confusion_matrix_refuses_a_class_outside_it_even_where_the_flat_index_would_fit(int actual, int predicted)
    {
        var matrix = new ConfusionMatrix(3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => matrix.Add(actual, predicted));
        Assert.Contains("classes are 0 to 2", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => matrix[actual, predicted]);
        Assert.Equal(0, matrix.Total);
        matrix.Add(2, 1);
        Assert.Equal(1, matrix[2, 1]);
    }

    [Fact]
    public void A_users_activation_or_cost_cannot_take_a_built_in_name_which_model_files_load()
    {
        var e = Assert.Throws<NablaException>(() => Activation.Custom("ReLU", z => z, z => 1));
        Assert.Contains("'ReLU' is the name of a built-in activation", e.Message);
        Assert.Same(Activation.ReLU, Activation.FromName("relu"));
        var c = Assert.Throws<NablaException>(() => Cost.Register(new HalfQuadratic("mse")));
        Assert.Contains("built-in cost", c.Message);
        Assert.Same(Cost.Quadratic, Cost.FromName("mse"));
    }

    /// <summary>The quadratic cost under another object: what a user registering "mse" might write.</summary>
    private sealed class HalfQuadratic(string name) : Cost
    {
        public override string Name => name;
        public override T Total<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y) => Quadratic.Total(a, y);
        public override void Gradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y, Span<T> gradient) => Quadratic.Gradient(a, y, gradient);
    }
}
