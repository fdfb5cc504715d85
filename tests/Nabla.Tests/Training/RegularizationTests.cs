using static Nabla.Tests.Core.TestNetworks;

namespace Nabla.Tests.Training;

public class RegularizationTests
{
    /// <summary>
    /// ∂C/∂p for every parameter p by five-point differences of a whole-network cost C(network),
    /// in the order of <see cref="Gradient{T}.Flatten"/>.
    /// </summary>
    internal static double[] FivePoint(Network<double> net, Func<double> cost, double epsilon = 1e-3)
    {
        var result = new List<double>();
        for (int l = 1; l <= net.L; l++)
            foreach (var array in new[] { net.Biases[l], net.Weights[l].Data })
                for (int i = 0; i < array.Length; i++)
                {
                    double original = array[i];
                    double At(double offset) { array[i] = original + offset; return cost(); }
                    result.Add((-At(2 * epsilon) + 8 * At(epsilon) - 8 * At(-epsilon) + At(-2 * epsilon)) / (12 * epsilon));
                    array[i] = original;
                }
        return result.ToArray();
    }

    [Theory]
    [InlineData("l2")]
    [InlineData("l1")]
    public void The_regularised_gradient_matches_finite_differences_of_the_regularised_cost(string kind)
    {
        int[] sizes = [6, 5, 4];
        var data = SyntheticData.Make(inputSize: 6, classes: 4, count: 30, seed: 9);
        var net = new Network<double>(sizes, [Activation.Tanh, Activation.Softmax], Initialization.ScaledNormal, seed: 6);
        var regularization = kind == "l2" ? Regularization.L2(3.0) : Regularization.L1(3.0);
        int[] indices = [1, 4, 6, 8, 10, 20];
        int n = data.Count;
        var batch = new MiniBatch<double>(net, indices.Length);

        // C = (1/m) Σ_x C_x + penalty: the cost whose gradient a step follows.
        double Cost()
        {
            batch.Load(data, indices);
            batch.FeedForward();
            return batch.TotalCost(Nabla.Cost.LogLikelihood) / indices.Length + regularization.Penalty(net, n);
        }

        batch.Load(data, indices);
        batch.FeedForward();
        batch.BackpropagateError(Nabla.Cost.LogLikelihood);
        var gradient = new Gradient<double>(sizes);
        batch.ComputeMeanGradient(gradient);
        regularization.AddGradient(net, gradient, n);

        var numeric = FivePoint(net, Cost);
        double error = MaxRelativeError(gradient.Flatten(), numeric);
        Assert.True(error < 1e-7, $"{kind}: relative error {error:E2}");

        // And the penalty matters: without it the same comparison fails.
        var unregularised = new Gradient<double>(sizes);
        batch.ComputeMeanGradient(unregularised);
        Assert.True(MaxRelativeError(unregularised.Flatten(), numeric) > 1e-3);
    }

    [Fact]
    public void L2_weight_decay_scales_weights_by_one_minus_eta_lambda_over_n_and_leaves_biases()
    {
        var net = new Network<double>([2, 1], [Activation.Sigmoid], [new Matrix<double>(1, 2, [0.5, -2.0])], [[0.25]]);
        Regularization.L2(5.0).Decay(net, 0.5, n: 10);
        Assert.Equal([0.5 * 0.75, -2.0 * 0.75], net.Weights[1].Data);
        Assert.Equal(0.25, net.Biases[1][0]);
    }

    [Fact]
    public void L1_moves_weights_toward_zero_by_eta_lambda_over_n()
    {
        var net = new Network<double>([3, 1], [Activation.Sigmoid], [new Matrix<double>(1, 3, [0.5, -2.0, 0.0])], [[0.25]]);
        Regularization.L1(5.0).Decay(net, 0.5, n: 10);
        Assert.Equal([0.25, -1.75, 0.0], net.Weights[1].Data);
        Assert.Equal(0.25, net.Biases[1][0]);
    }

    [Fact]
    public void The_penalty_is_network2s_half_lambda_over_n_times_the_sum_of_squared_weights()
    {
        var net = new Network<double>([2, 1], [Activation.Sigmoid], [new Matrix<double>(1, 2, [3.0, -4.0])], [[100.0]]);
        Assert.Equal(0.5 * 2.0 / 10 * 25, Regularization.L2(2.0).Penalty(net, 10), 14);
        Assert.Equal(2.0 / 10 * 7, Regularization.L1(2.0).Penalty(net, 10), 14);
        Assert.Equal(0, Regularization.None.Penalty(net, 10));
    }

    [Fact]
    public void Backprop_through_dropout_masks_matches_finite_differences_of_the_masked_network()
    {
        int[] sizes = [5, 6, 4, 3];
        var data = SyntheticData.Make(inputSize: 5, classes: 3, count: 12, seed: 1);
        var net = new Network<double>(sizes, [Activation.Sigmoid, Activation.ReLU, Activation.Softmax], Initialization.ScaledNormal, seed: 4);
        int[] indices = [0, 2, 3, 5, 7, 11];
        var batch = new MiniBatch<double>(net, indices.Length);
        var dropout = new Dropout(probability: 0.4);
        dropout.Draw(new Xoshiro256(7));

        double Cost()
        {
            batch.Load(data, indices);
            batch.FeedForward(dropout); // the same masks every time
            return batch.TotalCost(Nabla.Cost.LogLikelihood) / indices.Length;
        }

        Cost();
        Assert.Contains(0.0, batch.Activation(1).ToArray()); // some neurons were dropped
        batch.BackpropagateError(Nabla.Cost.LogLikelihood, dropout);
        var gradient = new Gradient<double>(sizes);
        batch.ComputeMeanGradient(gradient);
        var numeric = FivePoint(net, Cost, 1e-4); // ReLU's kink: a small ε keeps the nudges on one side
        // At ε = 1e-4 the differences carry ~1e-12 of rounding noise (a dropped neuron's exact 0 came out as −1.1e-12),
        // so entries below 1e-5 are compared to 1e-5 rather than to themselves.
        double error = MaxRelativeError(gradient.Flatten(), numeric, floor: 1e-5);
        Assert.True(error < 1e-6, $"relative error {error:E2}");
    }

    [Fact]
    public void Inverted_dropout_keeps_or_zeroes_and_scales_kept_neurons_by_one_over_one_minus_p()
    {
        // The mask as the forward pass applies it: a hidden layer of ones through dropout.
        int[] sizes = [3, 200, 2];
        var net = new Network<double>(sizes, [Activation.Identity, Activation.Sigmoid], [new Matrix<double>(200, 3), new Matrix<double>(2, 200)], [Enumerable.Repeat(1.0, 200).ToArray(), new double[2]]);
        var batch = new MiniBatch<double>(net, 50);
        batch.Resize(50);
        var dropout = new Dropout(probability: 0.25);
        dropout.Draw(new Xoshiro256(1));
        batch.FeedForward(dropout);
        var mask = batch.Activation(1).ToArray();
        Assert.All(mask, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75) < 1e-15));
        for (int i = 0; i < 50; i++)
            for (int j = 0; j < 200; j++)
                Assert.Equal(dropout.Keeps(1, i, j, 200), mask[i * 200 + j] != 0);
        double dropped = mask.Count(v => v == 0) / (double)mask.Length;
        Assert.InRange(dropped, 0.23, 0.27);
        Assert.InRange(mask.Average(), 0.97, 1.03); // E[mask] = 1: evaluation needs no rescaling
    }
}
