namespace Nabla.Tests.Training;

public class DivergenceTests
{
    [Fact]
    public void A_huge_learning_rate_stops_training_naming_the_epoch_and_the_mini_batch()
    {
        var training = SyntheticData.Make(inputSize: 12, classes: 4, count: 200, seed: 1);
        // ReLU hidden layer and a linear output with the quadratic cost: nothing saturates, so η = 1000 explodes.
        var network = new Network<float>([12, 16, 4], [Activation.ReLU, Activation.Identity], Initialization.ScaledNormal, seed: 2);
        var run = new TrainingRun<float>(new Sgd<float>(network, Cost.Quadratic, 1000f, 10, seed: 3), new ConstantSchedule(1000), epochs: 5);

        var e = Assert.Throws<TrainingDivergedException>(() => run.RunEpoch(training, training));

        Assert.Equal(0, e.Epoch);
        Assert.NotNull(e.MiniBatch);
        Assert.InRange(e.MiniBatch!.Value, 0, 19);
        Assert.Contains($"epoch 0, mini-batch {e.MiniBatch}", e.Message);
        Assert.Contains("smaller", e.Message);
    }

    [Fact]
    public void A_reasonable_learning_rate_does_not_trip_the_check()
    {
        var training = SyntheticData.Make(inputSize: 12, classes: 4, count: 200, seed: 1);
        var network = new Network<float>([12, 16, 4], [Activation.ReLU, Activation.Identity], Initialization.ScaledNormal, seed: 2);
        var run = new TrainingRun<float>(new Sgd<float>(network, Cost.Quadratic, 0.01f, 10, seed: 3), new ConstantSchedule(0.01), epochs: 3);
        while (!run.Finished) run.RunEpoch(training, training);
        Assert.Equal(3, run.Epoch);
    }
}
