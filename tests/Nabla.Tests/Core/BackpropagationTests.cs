using Nabla.Diagnostics;
using static Nabla.Tests.Core.TestNetworks;

namespace Nabla.Tests.Core;

public class BackpropagationTests
{
    public static TheoryData<string, string> ActivationsTimesCosts()
    {
        var data = new TheoryData<string, string>();
        foreach (var a in AllActivations()) foreach (var c in AllCosts()) data.Add(a.Name, c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(ActivationsTimesCosts))]
    public void Backprop_matches_central_finite_differences_for_every_activation_and_cost(string activation, string cost)
    {
        var c = Cost.FromName(cost);
        var random = new Random(17);
        foreach (var sizes in new[] { new[] { 4, 5, 3 }, new[] { 3, 6, 4, 2 }, new[] { 5, 4, 4, 3, 3 } })
        {
            var net = Make(sizes, Activation.FromName(activation), c, seed: sizes.Sum());
            var x = RandomVector(random, sizes[0], -2, 2);
            var y = RandomTarget(random, sizes[^1]);

            var backprop = net.Backprop(x, y, c);
            var numeric = FiniteDifferences.FivePoint(net, x, y, c, 1e-3);

            double error = MaxRelativeError(backprop.Flatten(), numeric.Flatten());
            Assert.True(error < 1e-7, $"{activation} × {cost} on [{string.Join(",", sizes)}]: relative error {error:E2}");
        }
    }

    [Fact]
    public void A_wrong_gradient_is_caught_by_the_same_comparison()
    {
        // The check above must be able to fail: perturb one backprop entry by 1e-4 relative.
        var net = Make([4, 5, 3], Activation.Sigmoid, Cost.Quadratic, seed: 3);
        var random = new Random(5);
        var x = RandomVector(random, 4);
        var y = RandomTarget(random, 3);
        var backprop = net.Backprop(x, y, Cost.Quadratic);
        backprop.Weights[1][2, 1] *= 1.0001;
        var numeric = FiniteDifferences.FivePoint(net, x, y, Cost.Quadratic, 1e-3);
        Assert.True(MaxRelativeError(backprop.Flatten(), numeric.Flatten()) > 1e-7);
    }

    [Theory]
    [MemberData(nameof(ActivationsTimesCosts))]
    public void Mini_batch_gradient_equals_the_sum_of_per_example_gradients(string activation, string cost)
    {
        var c = Cost.FromName(cost);
        int[] sizes = [6, 5, 4, 3];
        var net = Make(sizes, Activation.FromName(activation), c, seed: 11);
        var random = new Random(23);
        const int m = 7;
        var batch = new MiniBatch<double>(net, capacity: 10);
        batch.Resize(m);
        var sum = new Gradient<double>(sizes);
        for (int i = 0; i < m; i++)
        {
            var x = RandomVector(random, sizes[0], -2, 2);
            var y = RandomTarget(random, sizes[^1]);
            x.CopyTo(batch.Activation(0).Slice(i * sizes[0]));
            y.CopyTo(batch.Targets.Slice(i * sizes[^1]));
            sum.Add(net.Backprop(x, y, c));
        }

        batch.FeedForward();
        batch.BackpropagateError(c);
        var matrixBased = new Gradient<double>(sizes);
        batch.AccumulateGradient(matrixBased);

        Assert.True(MaxAbsoluteDifference(sum.Flatten(), matrixBased.Flatten()) <= 1e-12);
    }

    [Fact]
    public void BP1_for_quadratic_cost_is_a_minus_y_times_sigma_prime()
    {
        // Eq. 30, by hand, for a one-layer sigmoid network.
        var net = new Network<double>([2, 2], Activation.Sigmoid, seed: 1);
        double[] x = [0.3, -0.8], y = [1, 0];
        var pass = net.Forward(x);
        var gradient = net.Backprop(x, y, Cost.Quadratic);
        for (int j = 0; j < 2; j++)
        {
            double a = pass.Activation(1)[j];
            double expected = (a - y[j]) * a * (1 - a);
            Assert.Equal(expected, gradient.Biases[1][j], 15); // BP3: ∂C/∂b = δ
            Assert.Equal(expected * x[1], gradient.Weights[1][j, 1], 15); // BP4: a_k δ_j
        }
    }

    [Fact]
    public void Cross_entropy_with_sigmoid_output_gives_delta_a_minus_y()
    {
        var net = new Network<double>([3, 2], Activation.Sigmoid, seed: 2);
        double[] x = [1, 2, -1], y = [0, 1];
        var a = net.FeedForward(x);
        var gradient = net.Backprop(x, y, Cost.CrossEntropy);
        Assert.Equal(a[0] - y[0], gradient.Biases[1][0], 14);
        Assert.Equal(a[1] - y[1], gradient.Biases[1][1], 14);
    }
}
