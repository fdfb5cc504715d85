namespace Nabla.Diagnostics;

/// <summary>One path from w^l_jk to the cost: the neurons it passes through in layers l…L, and the product of the rates along it.</summary>
public sealed record WeightPath(IReadOnlyList<int> Neurons, double Rate);

/// <summary>∂C/∂w^l_jk as the sum over every path (Eq. 53), next to backprop's value.</summary>
/// <remarks>Each path lists the neurons of layers l, l+1, …, L; the first is always j.</remarks>
public sealed record PathSumResult(int Layer, int J, int K, long PathCount, double PathSum, double Backprop, IReadOnlyList<WeightPath> LargestPaths);

/// <summary>
/// Eq. 53: ∂C/∂w^l_jk = Σ over paths (j = q_l, q_(l+1), …, q_L) of
/// ∂C/∂a^L_(q_L) · ∂a^L_(q_L)/∂a^(L−1)_(q_(L−1)) ⋯ ∂a^(l+1)_(q_(l+1))/∂a^l_j · ∂a^l_j/∂w^l_jk,
/// where ∂a^i_q/∂a^(i−1)_r = σ'(z^i_q) w^i_qr and ∂a^l_j/∂w^l_jk = σ'(z^l_j) a^(l−1)_k. Each path is one way a change
/// in the weight reaches the cost. Backprop computes the same sum, but shares the work of all paths through each
/// neuron (BP2), so its cost does not grow with the number of paths — which is exponential in the depth.
/// </summary>
public static class PathSum
{
    /// <summary>The default limit on the number of paths enumerated.</summary>
    public const long DefaultMaxPaths = 10_000_000;

    /// <summary>Π_(i = l+1…L) n_i: the number of paths from a weight of layer l to the cost (saturates at long.MaxValue).</summary>
    public static long CountPaths(IReadOnlyList<int> sizes, int layer)
    {
        long count = 1;
        for (int i = layer + 1; i < sizes.Count; i++)
            count = count > long.MaxValue / sizes[i] ? long.MaxValue : count * sizes[i];
        return count;
    }

    /// <summary>Enumerates every path from w^l_jk to the cost and sums their rates; refuses more than <paramref name="maxPaths"/> paths.</summary>
    /// <exception cref="NablaException">The weight does not exist, or there are more paths than <paramref name="maxPaths"/>.</exception>
    public static PathSumResult Compute(Network<double> network, ReadOnlySpan<double> x, ReadOnlySpan<double> y, Cost cost,
        int layer, int j, int k, long maxPaths = DefaultMaxPaths, int largest = 5)
    {
        Demon.CheckNeuron(network.Sizes, layer, j);
        if (k < 0 || k >= network.Sizes[layer - 1])
            throw new NablaException($"k = {k}: w^{layer}_jk connects from neuron k of layer {layer - 1}, which has neurons 0 to {network.Sizes[layer - 1] - 1}");
        long pathCount = CountPaths(network.Sizes, layer);
        if (pathCount > maxPaths)
            throw new NablaException($"{Notation.Weight(layer, j, k)} reaches the cost by {(pathCount == long.MaxValue ? "more than 9.2e18" : pathCount.ToString("N0"))} paths, more than the limit of {maxPaths:N0}; " +
                                     "pick a later layer or a smaller network (backprop does not mind: it never enumerates them)");
        int L = network.L;
        var pass = network.Forward(x);
        // The local rates. σ'(z^i) for each layer, and ∂C/∂a^L.
        var sigmaPrime = new double[L + 1][];
        for (int i = layer; i <= L; i++)
        {
            sigmaPrime[i] = new double[network.Sizes[i]];
            network.Activations[i].Derivative<double>(pass.WeightedInput(i), pass.Activation(i), sigmaPrime[i]);
        }
        var dCda = new double[network.Sizes[L]];
        cost.Gradient<double>(pass.Activation(L), y, dCda);
        double first = sigmaPrime[layer][j] * pass.Activation(layer - 1)[k]; // ∂a^l_j/∂w^l_jk

        // An odometer over (q_(l+1), …, q_L); q_l = j is fixed.
        int depth = L - layer;
        var q = new int[depth + 1];
        q[0] = j;
        var top = new List<WeightPath>();
        double sum = 0;
        for (long path = 0; path < pathCount; path++)
        {
            double rate = first;
            for (int d = 1; d <= depth; d++)
            {
                int i = layer + d;
                rate *= sigmaPrime[i][q[d]] * network.Weights[i][q[d], q[d - 1]]; // ∂a^i_q/∂a^(i−1)_r = σ'(z^i_q) w^i_qr
            }
            rate *= dCda[q[depth]];                                               // ∂C/∂a^L_m
            sum += rate;
            Keep(top, q, rate, largest);
            for (int d = depth; d >= 1; d--)
            {
                if (++q[d] < network.Sizes[layer + d]) break;
                q[d] = 0;
            }
        }
        double backprop = network.Backprop(x, y, cost).Weights[layer][j, k];
        return new PathSumResult(layer, j, k, pathCount, sum, backprop, top);
    }

    // The paths with the largest |rate| so far, largest first.
    private static void Keep(List<WeightPath> top, int[] q, double rate, int largest)
    {
        if (largest <= 0 || (top.Count == largest && Math.Abs(rate) <= Math.Abs(top[^1].Rate))) return;
        int at = top.FindIndex(p => Math.Abs(rate) > Math.Abs(p.Rate));
        top.Insert(at < 0 ? top.Count : at, new WeightPath(q.ToArray(), rate));
        if (top.Count > largest) top.RemoveAt(top.Count - 1);
    }
}
