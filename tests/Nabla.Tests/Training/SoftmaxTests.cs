using Nabla.Diagnostics;
using static Nabla.Tests.Core.TestNetworks;

namespace Nabla.Tests.Training;

public class SoftmaxTests
{
    /// <summary>A random probability distribution over n classes: a valid target for the log-likelihood.</summary>
    private static double[] RandomDistribution(Random random, int n)
    {
        var p = RandomVector(random, n, 0.05, 1);
        double sum = p.Sum();
        return p.Select(x => x / sum).ToArray();
    }

    private static Network<double> SoftmaxNetwork(int[] sizes, Activation hidden, int seed)
    {
        var activations = Enumerable.Repeat(hidden, sizes.Length - 1).ToArray();
        activations[^1] = Activation.Softmax;
        return new Network<double>(sizes, activations, Initialization.ScaledNormal, seed);
    }

    [Theory]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    [InlineData("relu")]
    public void Softmax_with_log_likelihood_backprop_matches_five_point_finite_differences(string hidden)
    {
        var random = new Random(3);
        foreach (var sizes in new[] { new[] { 4, 5, 3 }, new[] { 3, 6, 4, 5 } })
        {
            var net = SoftmaxNetwork(sizes, Activation.FromName(hidden), seed: sizes.Sum());
            var x = RandomVector(random, sizes[0], -2, 2);
            var y = RandomDistribution(random, sizes[^1]);
            var backprop = net.Backprop(x, y, Cost.LogLikelihood);
            var numeric = FiniteDifferences.FivePoint(net, x, y, Cost.LogLikelihood, 1e-3);
            double error = MaxRelativeError(backprop.Flatten(), numeric.Flatten());
            Assert.True(error < 1e-7, $"softmax × log-likelihood, {hidden} hidden, [{string.Join(",", sizes)}]: relative error {error:E2}");
        }
    }

    [Theory]
    [InlineData("quadratic")]
    [InlineData("cross-entropy")]
    public void The_softmax_Jacobian_product_is_right_with_costs_that_do_not_fuse(string cost)
    {
        // Here BP1 goes through SoftmaxActivation.MultiplyByDerivative, not the a − y shortcut.
        var c = Cost.FromName(cost);
        var random = new Random(8);
        var net = SoftmaxNetwork([5, 4, 3], Activation.Tanh, seed: 5);
        var x = RandomVector(random, 5, -2, 2);
        var y = RandomTarget(random, 3);
        var backprop = net.Backprop(x, y, c);
        var numeric = FiniteDifferences.FivePoint(net, x, y, c, 1e-3);
        double error = MaxRelativeError(backprop.Flatten(), numeric.Flatten());
        Assert.True(error < 1e-7, $"softmax × {cost}: relative error {error:E2}");
    }

    [Fact]
    public void A_softmax_hidden_layer_is_differentiated_through_its_full_Jacobian()
    {
        var random = new Random(12);
        var net = new Network<double>([4, 5, 3], [Activation.Softmax, Activation.Sigmoid], Initialization.ScaledNormal, seed: 2);
        var x = RandomVector(random, 4, -2, 2);
        var y = RandomTarget(random, 3);
        var backprop = net.Backprop(x, y, Cost.CrossEntropy);
        var numeric = FiniteDifferences.FivePoint(net, x, y, Cost.CrossEntropy, 1e-3);
        Assert.True(MaxRelativeError(backprop.Flatten(), numeric.Flatten()) < 1e-7);
    }

    [Fact]
    public void Softmax_rows_are_distributions_and_do_not_overflow_for_large_inputs()
    {
        double[] z = [1000, 1001, 1002, -5, 0, 5];
        var a = new double[6];
        Activation.Softmax.Apply<double>(z, a, width: 3);
        Assert.Equal(1.0, a[0] + a[1] + a[2], 12);
        Assert.Equal(1.0, a[3] + a[4] + a[5], 12);
        Assert.All(a, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(Math.Exp(-2) / (Math.Exp(-2) + Math.Exp(-1) + 1), a[0], 12);
    }

    [Fact]
    public void The_log_likelihood_of_softmax_outputs_has_output_error_a_minus_y()
    {
        double[] z = [0.3, -1.2, 2.0], y = [0, 0, 1];
        var a = new double[3];
        Activation.Softmax.Apply<double>(z, a, 3);
        var fused = new double[3];
        Cost.LogLikelihood.OutputError<double>(Activation.Softmax, z, a, y, fused, 3);
        var chained = new double[3];
        Cost.LogLikelihood.Gradient<double>(a, y, chained);
        Activation.Softmax.MultiplyByDerivative<double>(z, a, chained, chained, 3);
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(a[j] - y[j], fused[j], 15);
            Assert.Equal(fused[j], chained[j], 12);
        }
        Assert.Equal(-Math.Log(a[2]), Cost.LogLikelihood.Total<double>(a, y), 12);
    }

    [Fact]
    public void Softmax_and_log_likelihood_are_registered_by_name()
    {
        Assert.Same(Activation.Softmax, Activation.FromName("softmax"));
        Assert.Same(Cost.LogLikelihood, Cost.FromName("log-likelihood"));
    }
}
