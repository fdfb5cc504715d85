using Nabla.Diagnostics;
using Nabla.Tests.Core;

namespace Nabla.Tests.Diagnostics;

public class PathSumTests
{
    public static TheoryData<string, string, int[]> Networks() => new()
    {
        { "sigmoid", "quadratic", [4, 5, 3, 2] },
        { "tanh", "quadratic", [3, 4, 4, 3, 2] },
        { "softplus", "cross-entropy", [4, 5, 3, 2] },
        { "arctan", "quadratic", [2, 3, 3, 3, 3, 2] },
        { "relu", "cross-entropy", [5, 6, 4, 3] },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void The_sum_over_every_path_equals_backprop_for_every_weight(string activation, string cost, int[] sizes)
    {
        var c = Cost.FromName(cost);
        var net = TestNetworks.Make(sizes, Activation.FromName(activation), c, seed: sizes.Sum());
        var random = new Random(sizes.Length);
        var x = TestNetworks.RandomVector(random, sizes[0]);
        var y = TestNetworks.RandomTarget(random, sizes[^1]);
        var backprop = net.Backprop(x, y, c);
        for (int l = 1; l <= net.L; l++)
            for (int j = 0; j < sizes[l]; j++)
                for (int k = 0; k < sizes[l - 1]; k++)
                {
                    var result = PathSum.Compute(net, x, y, c, l, j, k);
                    Assert.Equal(PathSum.CountPaths(sizes, l), result.PathCount);
                    Assert.True(Math.Abs(result.PathSum - backprop.Weights[l][j, k]) <= 1e-10 * Math.Max(1, Math.Abs(backprop.Weights[l][j, k])),
                        $"w^{l}_{j},{k}: paths {result.PathSum:R}, backprop {backprop.Weights[l][j, k]:R}");
                    Assert.Equal(backprop.Weights[l][j, k], result.Backprop);
                }
    }

    [Fact]
    public void The_largest_paths_are_listed_largest_first_and_start_at_neuron_j()
    {
        var net = TestNetworks.Make([4, 5, 3, 2], Activation.Sigmoid, Cost.Quadratic, seed: 1);
        var result = PathSum.Compute(net, [0.1, 0.2, 0.3, 0.4], [0.2, 0.9], Cost.Quadratic, 1, 2, 3, largest: 4);
        Assert.Equal(6, result.PathCount); // 3 × 2
        Assert.Equal(4, result.LargestPaths.Count);
        Assert.All(result.LargestPaths, p => Assert.Equal(2, p.Neurons[0]));
        Assert.All(result.LargestPaths, p => Assert.Equal(3, p.Neurons.Count));
        for (int i = 1; i < 4; i++) Assert.True(Math.Abs(result.LargestPaths[i - 1].Rate) >= Math.Abs(result.LargestPaths[i].Rate));
    }

    [Fact]
    public void A_network_with_too_many_paths_is_refused_with_the_count_in_the_message()
    {
        var net = new Network<double>([2, 100, 100, 100, 2], seed: 1);
        var e = Assert.Throws<NablaException>(() => PathSum.Compute(net, [0.5, 0.5], [1, 0], Cost.Quadratic, 1, 0, 0, maxPaths: 10_000));
        Assert.Contains("20,000 paths", e.Message);
        Assert.Contains("10,000", e.Message);
        Assert.Equal(2, PathSum.Compute(net, [0.5, 0.5], [1, 0], Cost.Quadratic, 3, 0, 0, maxPaths: 10_000).PathCount);
    }

    [Fact]
    public void A_weight_that_does_not_exist_is_refused()
    {
        var net = new Network<double>([3, 4, 2], seed: 1);
        Assert.Throws<NablaException>(() => PathSum.Compute(net, [0, 0, 0], [1, 0], Cost.Quadratic, 1, 4, 0));
        Assert.Throws<NablaException>(() => PathSum.Compute(net, [0, 0, 0], [1, 0], Cost.Quadratic, 1, 0, 3));
        Assert.Throws<NablaException>(() => PathSum.Compute(net, [0, 0, 0], [1, 0], Cost.Quadratic, 3, 0, 0));
    }

    [Fact]
    public void Path_counts_multiply_the_layer_sizes_after_the_weight_and_saturate_instead_of_overflowing()
    {
        Assert.Equal(5L * 3 * 2, PathSum.CountPaths([4, 5, 3, 2], 0));
        Assert.Equal(3L * 2, PathSum.CountPaths([4, 5, 3, 2], 1));
        Assert.Equal(1L, PathSum.CountPaths([4, 5, 3, 2], 3));
        Assert.Equal(long.MaxValue, PathSum.CountPaths([1, 100_000, 100_000, 100_000, 100_000, 100_000], 0));
    }
}
