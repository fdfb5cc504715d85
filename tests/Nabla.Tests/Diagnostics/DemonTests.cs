using Nabla.Diagnostics;
using Nabla.Tests.Core;

namespace Nabla.Tests.Diagnostics;

public class DemonTests
{
    [Theory]
    [InlineData("sigmoid", "quadratic", 1, 2)]
    [InlineData("tanh", "quadratic", 2, 0)]
    [InlineData("sigmoid", "cross-entropy", 3, 1)]
    [InlineData("softplus", "cross-entropy", 1, 4)]
    public void The_change_in_cost_matches_delta_times_dz_with_an_error_that_shrinks_like_dz_squared(string activation, string cost, int layer, int neuron)
    {
        var c = Cost.FromName(cost);
        var net = TestNetworks.Make([4, 5, 4, 3], Activation.FromName(activation), c, seed: 21);
        var random = new Random(3);
        var x = TestNetworks.RandomVector(random, 4);
        var y = TestNetworks.RandomTarget(random, 3);
        var result = Demon.Experiment(net, x, y, c, layer, neuron, [0.02, 0.01, 0.005]);
        // δ^l_j = ∂C/∂z^l_j, and z^l_j moves one for one with b^l_j: central differences of C in b^l_j, by the plain forward
        // pass, give δ without backprop or the demon's own code.
        double expectedDelta = CentralDifferenceInBias(net, x, y, c, layer, neuron, 1e-5);
        Assert.True(Math.Abs(result.Delta - expectedDelta) <= 1e-8 * Math.Max(1, Math.Abs(expectedDelta)), $"δ = {result.Delta}, central differences {expectedDelta}");
        foreach (var p in result.Points)
        {
            Assert.True(Math.Abs(p.PredictedDC - expectedDelta * p.Dz) <= 1e-8 * Math.Abs(p.Dz), $"Δz = {p.Dz}: predicted {p.PredictedDC}, δΔz {expectedDelta * p.Dz}");
            Assert.True(p.Error < 0.05 * Math.Abs(p.PredictedDC), $"Δz = {p.Dz}: measured {p.MeasuredDC}, predicted {p.PredictedDC}");
        }
        Assert.InRange(result.Points[0].Error / result.Points[1].Error, 3.6, 4.4);
        Assert.InRange(result.Points[1].Error / result.Points[2].Error, 3.6, 4.4);
    }

    private static double CentralDifferenceInBias(Network<double> net, double[] x, double[] y, Cost cost, int layer, int neuron, double h)
    {
        double[] biases = net.Biases[layer];
        double original = biases[neuron];
        double At(double offset)
        {
            biases[neuron] = original + offset;
            return cost.Total<double>(net.FeedForward(x), y);
        }
        double slope = (At(h) - At(-h)) / (2 * h);
        biases[neuron] = original;
        return slope;
    }

    [Fact]
    public void With_no_nudge_the_demon_changes_nothing_and_a_nudge_changes_only_later_layers()
    {
        var net = new Network<double>([3, 4, 2], seed: 2);
        double[] x = [0.3, -0.2, 0.9];
        Assert.Equal(net.FeedForward(x), Demon.NudgedForward(net, x, 1, 2, 0.0));
        var z = net.Forward(x).WeightedInput(2).ToArray();
        z[1] += 0.5;
        var expected = z.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
        var nudged = Demon.NudgedForward(net, x, 2, 1, 0.5);
        for (int j = 0; j < 2; j++) Assert.Equal(expected[j], nudged[j], 12);
    }

    [Fact]
    public void A_neuron_that_does_not_exist_is_refused_with_the_range()
    {
        var net = new Network<double>([3, 4, 2], seed: 2);
        var e = Assert.Throws<NablaException>(() => Demon.Experiment(net, [0, 0, 0], [1, 0], Cost.Quadratic, 1, 4));
        Assert.Contains("0 to 3", e.Message);
        Assert.Throws<NablaException>(() => Demon.Experiment(net, [0, 0, 0], [1, 0], Cost.Quadratic, 0, 0));
    }
    /// <summary>Points whose error is exactly a Δz² + b Δz³.</summary>
    private static DemonResult Cubic(double delta, double a, double b) =>
        new(1, 0, delta, 1.0, Demon.DefaultNudges.Select(dz => new DemonPoint(dz, delta * dz + a * dz * dz + b * dz * dz * dz, delta * dz)).ToList());

    [Fact]
    public void The_expansion_of_the_error_is_fitted_from_the_smallest_nudges()
    {
        var r = Cubic(0.02, a: -1.4e-3, b: -1.9e-3);

        var fit = Assert.IsType<ErrorExpansion>(r.Expansion);
        Assert.Equal(-1.4e-3, fit.SecondOrder, 12);
        Assert.Equal(-1.9e-3, fit.ThirdOrder, 9);
        Assert.Equal(1.0 / 256, fit.FittedAt);
    }

    [Fact]
    public void The_ratio_of_errors_is_given_only_where_the_second_order_term_dominates_and_is_near_4_there()
    {
        // Δz³ reaches a tenth of Δz² at |Δz| = 0.1·1.4/1.9 ≈ 0.074: a ratio for the pairs up to (0.03125, 0.0625).
        var r = Cubic(0.02, a: -1.4e-3, b: -1.9e-3);

        var shown = r.Points.Where(p => r.ErrorRatio(p) is not null).Select(p => Math.Abs(p.Dz)).Distinct().Order().ToArray();
        Assert.Equal(new[] { 1.0 / 256, 1.0 / 128, 1.0 / 64, 1.0 / 32 }, shown);
        foreach (var p in r.Points)
            if (r.ErrorRatio(p) is double ratio) Assert.InRange(ratio, 3.6, 4.4);
        // The rows where the ratio misleads: with these coefficients the error changes sign near Δz = −0.74.
        Assert.Null(r.ErrorRatio(r.Points.Single(p => p.Dz == -0.5)));
    }

    [Fact]
    public void Errors_at_the_level_of_rounding_give_no_ratios()
    {
        var r = Cubic(0.02, a: 0, b: 0);
        Assert.Equal(0, r.Expansion!.SecondOrder);
        Assert.All(r.Points, p => Assert.Null(r.ErrorRatio(p)));
    }
}
