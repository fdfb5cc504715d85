using Nabla.Diagnostics;

namespace Nabla.Tests.Training;

/// <summary>Recipes that cannot work are refused before training; a network that stopped looking at its input is named.</summary>
public class RecipeCheckTests
{
    [Theory]
    [InlineData("tanh")]
    [InlineData("relu")]
    [InlineData("softplus")]
    [InlineData("identity")]
    public void Cross_entropy_refuses_an_output_that_can_leave_zero_to_one_and_names_sigmoid(string output)
    {
        var network = new Network<float>([4, 3, 2], [Activation.Sigmoid, Activation.FromName(output)]);
        var error = Assert.Throws<NablaException>(() => new Sgd<float>(network, Cost.CrossEntropy, 0.1f, 2));
        Assert.Contains(output, error.Message);
        Assert.Contains("use sigmoid", error.Message);
    }

    [Theory]
    [InlineData("sigmoid")]
    [InlineData("relu")]
    [InlineData("identity")]
    public void Log_likelihood_refuses_any_output_but_softmax_and_names_softmax(string output)
    {
        var network = new Network<float>([4, 3, 2], [Activation.Sigmoid, Activation.FromName(output)]);
        var error = Assert.Throws<NablaException>(() => new Sgd<float>(network, Cost.LogLikelihood, 0.1f, 2));
        Assert.Contains(output, error.Message);
        Assert.Contains("use softmax", error.Message);
    }

    [Theory]
    [InlineData("quadratic", "relu")]
    [InlineData("quadratic", "identity")]
    [InlineData("cross-entropy", "sigmoid")]
    [InlineData("cross-entropy", "softmax")]
    [InlineData("log-likelihood", "softmax")]
    public void Pairs_that_fit_are_accepted(string cost, string output)
    {
        var network = new Network<float>([4, 3, 2], [Activation.ReLU, Activation.FromName(output)]);
        using var sgd = new Sgd<float>(network, Cost.FromName(cost), 0.1f, 2);
        Assert.Same(Cost.FromName(cost), sgd.Cost);
    }

    /// <summary>[12, 16, 4] with ReLUs everywhere; with <paramref name="dead"/> every hidden bias is −100, so every hidden ReLU outputs 0.</summary>
    private static Network<double> Relus(bool dead)
    {
        var network = new Network<double>([12, 16, 4], Activation.ReLU, Initialization.ScaledNormal, seed: 2);
        if (dead) Array.Fill(network.Biases[1], -100.0);
        return network;
    }

    [Fact]
    public void A_network_whose_hidden_relus_are_all_dead_answers_the_same_for_every_example_and_is_explained()
    {
        var data = SyntheticData.Make(inputSize: 12, classes: 4, count: 50, seed: 1);
        var dead = Relus(dead: true);
        var evaluation = Sgd<double>.Evaluate(dead, Cost.Quadratic, data);
        Assert.True(evaluation.SameOutputForEveryExample);
        var report = ConstantOutput.Explain(dead, data);
        Assert.NotNull(report);
        Assert.Equal(1, report.Layer);
        Assert.Equal("dead", report.Cause);
        Assert.Contains("every ReLU of hidden layer 1 outputs 0", report.Message);
        Assert.Contains("--eta", report.Message);
    }

    [Fact]
    public void A_working_network_is_not_flagged()
    {
        var data = SyntheticData.Make(inputSize: 12, classes: 4, count: 50, seed: 1);
        var alive = Relus(dead: false);
        Assert.False(Sgd<double>.Evaluate(alive, Cost.Quadratic, data).SameOutputForEveryExample);
        Assert.Null(ConstantOutput.Explain(alive, data));
    }

    [Fact]
    public void Saturated_sigmoids_are_named_as_saturated()
    {
        var data = SyntheticData.Make(inputSize: 12, classes: 4, count: 50, seed: 1);
        var network = new Network<double>([12, 16, 4], Activation.Sigmoid, Initialization.ScaledNormal, seed: 2);
        Array.Fill(network.Biases[1], 200.0); // σ(z) = 1 to double precision for every input
        Assert.True(Sgd<double>.Evaluate(network, Cost.Quadratic, data).SameOutputForEveryExample);
        var report = ConstantOutput.Explain(network, data)!;
        Assert.Equal((1, "saturated"), (report.Layer, report.Cause));
    }
}
