using System.Numerics;

namespace Nabla.Diagnostics;

/// <summary>How a difference quotient is formed.</summary>
public enum DifferenceScheme
{
    /// <summary>Eq. 46: ∂C/∂p ≈ (C(p + ε) − C(p)) / ε. Error O(ε); one forward pass per parameter (plus one for C(p), shared).</summary>
    Forward,
    /// <summary>(C(p + ε) − C(p − ε)) / 2ε. Error O(ε²); two forward passes per parameter.</summary>
    Central,
    /// <summary>(−C(p + 2ε) + 8C(p + ε) − 8C(p − ε) + C(p − 2ε)) / 12ε. Error O(ε⁴); four forward passes per parameter.</summary>
    FivePoint,
}

/// <summary>One weight w^l_jk or bias b^l_j of a network (then <see cref="K"/> is −1).</summary>
public readonly record struct Parameter(int Layer, int J, int K)
{
    /// <summary>The bias b^l_j.</summary>
    public static Parameter Bias(int layer, int j) => new(layer, j, -1);
    /// <summary>The weight w^l_jk.</summary>
    public static Parameter Weight(int layer, int j, int k) => new(layer, j, k);

    /// <summary>True for a bias b^l_j (<see cref="K"/> is −1), false for a weight.</summary>
    public bool IsBias => K < 0;

    /// <summary>Where the parameter lives in <paramref name="network"/>.</summary>
    public ref T In<T>(Network<T> network) where T : unmanaged, IFloatingPointIeee754<T> =>
        ref IsBias ? ref network.Biases[Layer][J] : ref network.Weights[Layer][J, K];

    /// <summary>Its entry in a gradient.</summary>
    public ref T In<T>(Gradient<T> gradient) where T : unmanaged, IFloatingPointIeee754<T> =>
        ref IsBias ? ref gradient.Biases[Layer].AsSpan()[J] : ref gradient.Weights[Layer][J, K];

    /// <summary>The chapter's symbol: <c>b^2_5</c>, <c>w^1_{18,740}</c>.</summary>
    public override string ToString() => IsBias ? Notation.Indexed("b", Layer, J) : Notation.Weight(Layer, J, K);

    /// <summary>In words: "the weight into neuron 18 of layer 1 from neuron 740 of layer 0", "the bias of neuron 5 of layer 2".</summary>
    public string Describe() => IsBias ? $"the bias of neuron {J} of layer {Layer}" : $"the weight into neuron {J} of layer {Layer} from {(Layer == 1 ? $"input {K}" : $"neuron {K} of layer {Layer - 1}")}";
}

/// <summary>
/// The gradient the slow way (Eq. 46): nudge one weight or bias by ε, run the whole network forward
/// again, and divide the change in cost by the nudge. One or two forward passes per parameter — which is
/// why backprop, one forward and one backward pass for all of them, is fast.
/// </summary>
public static class FiniteDifferences
{
    /// <summary>C_x for one example: the cost of the network's output on x against y.</summary>
    public static T ExampleCost<T>(Network<T> network, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost)
        where T : unmanaged, IFloatingPointIeee754<T> => cost.Total<T>(network.Forward(x).Output, y);

    /// <summary>Eq. 46 for every parameter: ∂C_x/∂p ≈ (C(p + ε) − C(p)) / ε. Error O(ε). Restores every parameter afterwards.</summary>
    public static Gradient<T> Forward<T>(Network<T> network, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T> => Estimate(network, x, y, cost, epsilon, DifferenceScheme.Forward);

    /// <summary>
    /// ∂C_x/∂p ≈ (C(p + ε) − C(p − ε)) / 2ε for every parameter (central differences: error O(ε²),
    /// against O(ε) for Eq. 46's forward difference). Restores every parameter afterwards.
    /// </summary>
    public static Gradient<T> Central<T>(Network<T> network, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T> => Estimate(network, x, y, cost, epsilon, DifferenceScheme.Central);

    /// <summary>
    /// ∂C_x/∂p ≈ (−C(p + 2ε) + 8C(p + ε) − 8C(p − ε) + C(p − 2ε)) / 12ε: error O(ε⁴), so ε can be larger
    /// and rounding smaller. Four forward passes per parameter; the reference for checking backprop tightly.
    /// </summary>
    public static Gradient<T> FivePoint<T>(Network<T> network, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T> => Estimate(network, x, y, cost, epsilon, DifferenceScheme.FivePoint);

    /// <summary>The whole gradient by <paramref name="scheme"/>.</summary>
    public static Gradient<T> Estimate<T>(Network<T> network, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost, T epsilon, DifferenceScheme scheme)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gradient = new Gradient<T>(network.Sizes);
        T unperturbed = scheme == DifferenceScheme.Forward ? ExampleCost(network, x, y, cost) : T.Zero;
        foreach (var p in AllParameters(network.Sizes))
            p.In(gradient) = Derivative(network, p, x, y, cost, epsilon, scheme, unperturbed);
        return gradient;
    }

    /// <summary>Number of forward passes <see cref="Estimate{T}"/> makes for <paramref name="parameters"/> parameters.</summary>
    public static long ForwardPasses(DifferenceScheme scheme, long parameters) => scheme switch
    {
        DifferenceScheme.Forward => parameters + 1,  // C(p) once, then C(p + ε) for each p
        DifferenceScheme.Central => 2 * parameters,
        _ => 4 * parameters,
    };

    /// <summary>Every bias and weight, layer by layer (b^l, then w^l row by row).</summary>
    public static IEnumerable<Parameter> AllParameters(IReadOnlyList<int> sizes)
    {
        for (int l = 1; l < sizes.Count; l++)
        {
            for (int j = 0; j < sizes[l]; j++) yield return Parameter.Bias(l, j);
            for (int j = 0; j < sizes[l]; j++)
                for (int k = 0; k < sizes[l - 1]; k++) yield return Parameter.Weight(l, j, k);
        }
    }

    /// <summary>
    /// The difference quotient for one parameter, leaving it as it was. For <see cref="DifferenceScheme.Forward"/>,
    /// <paramref name="unperturbed"/> must be C_x at the current parameters (computed once for all parameters).
    /// </summary>
    public static T Derivative<T>(Network<T> network, Parameter parameter, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost, T epsilon,
        DifferenceScheme scheme, T unperturbed = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T p = ref parameter.In(network);
        T original = p;
        try
        {
            T CostAt(T offset, ref T p, ReadOnlySpan<T> x, ReadOnlySpan<T> y)
            {
                p = original + offset;
                return ExampleCost(network, x, y, cost);
            }
            T two = T.One + T.One;
            return scheme switch
            {
                DifferenceScheme.Forward => (CostAt(epsilon, ref p, x, y) - unperturbed) / epsilon,
                DifferenceScheme.Central => (CostAt(epsilon, ref p, x, y) - CostAt(-epsilon, ref p, x, y)) / (two * epsilon),
                _ => (-CostAt(two * epsilon, ref p, x, y) + T.CreateChecked(8) * CostAt(epsilon, ref p, x, y)
                      - T.CreateChecked(8) * CostAt(-epsilon, ref p, x, y) + CostAt(-two * epsilon, ref p, x, y)) / (T.CreateChecked(12) * epsilon),
            };
        }
        finally { p = original; }
    }
}
