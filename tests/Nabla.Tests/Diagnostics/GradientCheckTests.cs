using Nabla.Diagnostics;
using Nabla.Tests.Core;

namespace Nabla.Tests.Diagnostics;

public class GradientCheckTests
{
    public static TheoryData<string, string> ActivationsAndCosts()
    {
        var data = new TheoryData<string, string>();
        foreach (var a in TestNetworks.AllActivations())
            foreach (var c in TestNetworks.AllCosts()) data.Add(a.Name, c.Name);
        return data;
    }

    private static (Network<double> Net, double[] X, double[] Y) Example(string activation, string cost, int seed, int[]? sizes = null)
    {
        var random = new Random(seed);
        sizes ??= [5, 6, 4, 3];
        var net = TestNetworks.Make(sizes, Activation.FromName(activation), Cost.FromName(cost), seed);
        return (net, TestNetworks.RandomVector(random, sizes[0]), TestNetworks.RandomTarget(random, sizes[^1]));
    }

    [Theory]
    [MemberData(nameof(ActivationsAndCosts))]
    public void Backprop_passes_the_gradient_check_for_every_activation_and_cost(string activation, string cost)
    {
        var (net, x, y) = Example(activation, cost, seed: 7);
        var result = GradientCheck.Run(net, x, y, Cost.FromName(cost));
        Assert.True(result.Passed, $"max relative error: central {result.MaxRelativeErrorCentral:E2}, forward {result.MaxRelativeErrorForward:E2} at {result.Worst}");
        Assert.Equal(net.ParameterCount, result.ParametersChecked);
        Assert.Equal(net.L, result.Layers.Count);
        Assert.Equal(net.ParameterCount, result.Layers.Sum(l => l.ParametersChecked));
    }

    [Fact]
    public void A_gradient_with_one_entry_off_by_a_tenth_of_a_percent_fails_and_the_worst_parameter_is_named()
    {
        var (net, x, y) = Example("sigmoid", "quadratic", seed: 3);
        var gradient = net.Backprop(x, y, Cost.Quadratic);
        gradient.Weights[2][1, 2] *= 1.001;
        var result = GradientCheck.Run(net, x, y, Cost.Quadratic, gradient);
        Assert.False(result.Passed);
        Assert.Equal("w^2_{1,2}", result.Worst!.Parameter);
        Assert.InRange(result.Layers.Single(l => l.Layer == 2).MaxRelativeErrorCentral, 5e-4, 2e-3);
        Assert.True(result.Layers.Single(l => l.Layer == 1).MaxRelativeErrorCentral < 1e-6);
    }

    [Fact]
    public void A_gradient_that_forgets_sigma_prime_in_BP2_fails()
    {
        // The classic bug: δ^l = (w^(l+1))ᵀ δ^(l+1) without ⊙ σ'(z^l). Build that gradient by hand for a 3-layer net.
        var (net, x, y) = Example("sigmoid", "quadratic", seed: 5, sizes: [4, 5, 3]);
        var pass = net.Forward(x);
        var right = net.Backprop(x, y, Cost.Quadratic);
        var wrong = net.Backprop(x, y, Cost.Quadratic);
        for (int k = 0; k < 5; k++)
        {
            double sum = 0;
            for (int j = 0; j < 3; j++) sum += net.Weights[2][j, k] * right.Biases[2][j];
            wrong.Biases[1][k] = sum; // δ^1_k without σ'
            for (int i = 0; i < 4; i++) wrong.Weights[1][k, i] = sum * pass.Activation(0)[i];
        }
        Assert.True(GradientCheck.Run(net, x, y, Cost.Quadratic, right).Passed);
        var result = GradientCheck.Run(net, x, y, Cost.Quadratic, wrong);
        Assert.False(result.Passed);
        Assert.True(result.Layers.Single(l => l.Layer == 1).MaxRelativeErrorCentral > 0.5);
    }

    [Fact]
    public void A_NaN_in_the_gradient_fails_the_check()
    {
        var (net, x, y) = Example("tanh", "quadratic", seed: 2);
        var gradient = net.Backprop(x, y, Cost.Quadratic);
        gradient.Biases[1][0] = double.NaN;
        Assert.False(GradientCheck.Run(net, x, y, Cost.Quadratic, gradient).Passed);
    }

    [Fact]
    public void A_sample_checks_exactly_N_distinct_parameters_and_the_same_seed_picks_the_same_ones()
    {
        var (net, x, y) = Example("sigmoid", "cross-entropy", seed: 11, sizes: [30, 20, 10]);
        var options = new GradientCheckOptions { Sample = 50, Seed = 4 };
        var a = GradientCheck.Run(net, x, y, Cost.CrossEntropy, options);
        var b = GradientCheck.Run(net, x, y, Cost.CrossEntropy, options);
        Assert.Equal(50, a.ParametersChecked);
        Assert.Equal(50, a.Layers.Sum(l => l.ParametersChecked));
        Assert.Equal(a.Layers, b.Layers);
        Assert.True(a.Passed);
        Assert.NotEqual(a.Layers, GradientCheck.Run(net, x, y, Cost.CrossEntropy, options with { Seed = 5 }).Layers);
    }

    [Fact]
    public void Parameter_positions_follow_the_order_of_AllParameters()
    {
        int[] sizes = [3, 4, 2];
        var all = FiniteDifferences.AllParameters(sizes).ToList();
        Assert.Equal(4 * 3 + 4 + 2 * 4 + 2, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        for (int i = 0; i < all.Count; i++) Assert.Equal(all[i], GradientCheck.ParameterAt(sizes, i));
    }

    [Fact]
    public void Forward_differences_are_first_order_and_central_differences_second_order()
    {
        var (net, x, y) = Example("softplus", "quadratic", seed: 9, sizes: [3, 3, 2]);
        double exact = net.Backprop(x, y, Cost.Quadratic).Weights[1][0, 0];
        var p = Parameter.Weight(1, 0, 0);
        double c = FiniteDifferences.ExampleCost(net, x, y, Cost.Quadratic);
        double Error(DifferenceScheme s, double eps) => Math.Abs(FiniteDifferences.Derivative(net, p, x, y, Cost.Quadratic, eps, s, c) - exact);
        Assert.InRange(Error(DifferenceScheme.Forward, 1e-3) / Error(DifferenceScheme.Forward, 5e-4), 1.8, 2.2);
        Assert.InRange(Error(DifferenceScheme.Central, 1e-2) / Error(DifferenceScheme.Central, 5e-3), 3.6, 4.4);
    }

    [Fact]
    public void Finite_difference_pass_counts_are_one_per_parameter_plus_one_for_forward_and_two_per_parameter_for_central()
    {
        Assert.Equal(23_861, FiniteDifferences.ForwardPasses(DifferenceScheme.Forward, 23_860));
        Assert.Equal(47_720, FiniteDifferences.ForwardPasses(DifferenceScheme.Central, 23_860));
    }
}
