using System.Numerics;

namespace Nabla.Diagnostics;

/// <summary>
/// The gradient the slow way (Eq. 46): nudge one weight or bias by ±ε, run the whole network forward
/// again, and divide the change in cost by the nudge. Two forward passes per parameter — which is why
/// backprop, one forward and one backward pass for all of them, is fast.
/// </summary>
public static class FiniteDifferences
{
    /// <summary>C_x for one example: the cost of the network's output on x against y.</summary>
    public static T ExampleCost<T>(Network<T> network, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost)
        where T : unmanaged, IFloatingPointIeee754<T> => cost.Total<T>(network.Forward(x).Output, y);

    /// <summary>
    /// ∂C_x/∂p ≈ (C(p + ε) − C(p − ε)) / 2ε for every parameter p (central differences: error O(ε²),
    /// against O(ε) for Eq. 46's forward difference). Restores every parameter afterwards.
    /// </summary>
    public static Gradient<T> Central<T>(Network<T> network, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T> => Estimate(network, x, y, cost, epsilon, fivePoint: false);

    /// <summary>
    /// ∂C_x/∂p ≈ (−C(p + 2ε) + 8C(p + ε) − 8C(p − ε) + C(p − 2ε)) / 12ε: error O(ε⁴), so ε can be larger
    /// and rounding smaller. Four forward passes per parameter; the reference for checking backprop tightly.
    /// </summary>
    public static Gradient<T> FivePoint<T>(Network<T> network, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T> => Estimate(network, x, y, cost, epsilon, fivePoint: true);

    private static Gradient<T> Estimate<T>(Network<T> network, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost, T epsilon, bool fivePoint)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gradient = new Gradient<T>(network.Sizes);
        for (int l = 1; l <= network.L; l++)
        {
            var b = network.Biases[l];
            for (int j = 0; j < b.Length; j++)
                gradient.Biases[l][j] = Derivative(network, ref b[j], x, y, cost, epsilon, fivePoint);
            var w = network.Weights[l].Data;
            for (int jk = 0; jk < w.Length; jk++)
                gradient.Weights[l].Data[jk] = Derivative(network, ref w[jk], x, y, cost, epsilon, fivePoint);
        }
        return gradient;
    }

    /// <summary>The difference quotient for one parameter, leaving it as it was.</summary>
    private static T Derivative<T>(Network<T> network, ref T parameter, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost, T epsilon, bool fivePoint)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T original = parameter;
        T CostAt(T offset, ref T p, ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        {
            p = original + offset;
            return ExampleCost(network, x, y, cost);
        }
        T two = T.One + T.One;
        T result = fivePoint
            ? (-CostAt(two * epsilon, ref parameter, x, y) + T.CreateChecked(8) * CostAt(epsilon, ref parameter, x, y)
               - T.CreateChecked(8) * CostAt(-epsilon, ref parameter, x, y) + CostAt(-two * epsilon, ref parameter, x, y)) / (T.CreateChecked(12) * epsilon)
            : (CostAt(epsilon, ref parameter, x, y) - CostAt(-epsilon, ref parameter, x, y)) / (two * epsilon);
        parameter = original;
        return result;
    }
}
