using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Diagnostics;

/// <summary>One nudge of the demon: Δz added to z^l_j, the change in cost it caused, and δ^l_j Δz.</summary>
public sealed record DemonPoint(double Dz, double MeasuredDC, double PredictedDC)
{
    /// <summary>|ΔC − δΔz|: second order in Δz, since δ is the first derivative.</summary>
    public double Error => Math.Abs(MeasuredDC - PredictedDC);
}

/// <summary>The demon's experiment on neuron j of layer l.</summary>
public sealed record DemonResult(int Layer, int Neuron, double Delta, double Cost, IReadOnlyList<DemonPoint> Points)
{
    /// <summary>The error's expansion in Δz, from the smallest nudges; null without a nudge of each sign and size.</summary>
    public ErrorExpansion? Expansion { get; } = ErrorExpansion.Fit(Points, Cost);

    /// <summary>The point at twice <paramref name="point"/>'s Δz (same sign), if there is one.</summary>
    public DemonPoint? Twice(DemonPoint point) => Points.FirstOrDefault(o => Math.Abs(o.Dz - 2 * point.Dz) < 1e-12 * Math.Abs(point.Dz));

    /// <summary>
    /// error(2Δz) / error(Δz), where it tells the order of the error: both nudges small enough that the Δz² term
    /// dominates (<see cref="ErrorExpansion.SecondOrderDominates"/>); there it is ≈ 4. Null elsewhere.
    /// </summary>
    public double? ErrorRatio(DemonPoint point) =>
        Twice(point) is { } twice && point.Error > 0 && Expansion?.SecondOrderDominates(twice.Dz) == true ? twice.Error / point.Error : null;
}

/// <summary>
/// The demon's error ΔC − δΔz = ½C″Δz² + ⅙C‴Δz³ + … (C as a function of z^l_j), its first two coefficients
/// estimated from the smallest nudge ±h: the Δz³ term cancels in e(h) + e(−h), the Δz² term in e(h) − e(−h).
/// </summary>
/// <param name="SecondOrder">½C″, the coefficient of Δz².</param>
/// <param name="ThirdOrder">⅙C‴, the coefficient of Δz³.</param>
/// <param name="FittedAt">h, the smallest nudge.</param>
public sealed record ErrorExpansion(double SecondOrder, double ThirdOrder, double FittedAt)
{
    /// <summary>
    /// True when at <paramref name="dz"/> the Δz³ term is under a tenth of the Δz² term: there halving Δz quarters the
    /// error, to within ~10 %. For larger Δz the higher terms are not small, and the ratio of errors can be anything.
    /// </summary>
    public bool SecondOrderDominates(double dz) => SecondOrder != 0 && Math.Abs(ThirdOrder * dz) < 0.1 * Math.Abs(SecondOrder);

    internal static ErrorExpansion? Fit(IReadOnlyList<DemonPoint> points, double cost)
    {
        var h = points.Where(p => p.Dz > 0 && points.Any(q => q.Dz == -p.Dz)).OrderBy(p => p.Dz).FirstOrDefault();
        if (h is null) return null;
        var minus = points.First(q => q.Dz == -h.Dz);
        double plus = h.MeasuredDC - h.PredictedDC, minusError = minus.MeasuredDC - minus.PredictedDC;
        // Errors at the level of rounding in C tell nothing of the order.
        double rounding = 1e-13 * Math.Max(1, Math.Abs(cost));
        if (Math.Abs(plus) < rounding && Math.Abs(minusError) < rounding) return new ErrorExpansion(0, 0, h.Dz);
        double d = h.Dz;
        return new ErrorExpansion((plus + minusError) / (2 * d * d), (plus - minusError) / (2 * d * d * d), d);
    }
}

/// <summary>
/// Eq. 29 made into an experiment. A demon sits at neuron j of layer l and adds Δz to its weighted input, so the
/// neuron outputs σ(z^l_j + Δz); the change propagates and the cost changes by ≈ (∂C/∂z^l_j) Δz = δ^l_j Δz.
/// δ^l_j, the error, is exactly that rate.
/// </summary>
public static class Demon
{
    /// <summary>
    /// The Δz the command uses: ±1 halving down to ±1/256, so that the table reaches nudges small enough for the Δz²
    /// term of the error to dominate, where halving Δz quarters it.
    /// </summary>
    public static IReadOnlyList<double> DefaultNudges { get; } =
        [.. Enumerable.Range(0, 9).Select(i => -Math.ScaleB(1, -i)), .. Enumerable.Range(0, 9).Select(i => Math.ScaleB(1, -i)).Reverse()];

    /// <summary>
    /// The forward pass with the demon at work: Eq. 25 layer by layer, except that z^l_j becomes z^l_j + Δz before σ
    /// is applied. Returns a^L.
    /// </summary>
    public static T[] NudgedForward<T>(Network<T> network, ReadOnlySpan<T> x, int layer, int neuron, T dz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckNeuron(network.Sizes, layer, neuron);
        if (x.Length != network.Sizes[0]) throw new NablaException($"input x has {x.Length} entries but the input layer has {network.Sizes[0]} neurons");
        T[] a = x.ToArray();
        for (int l = 1; l <= network.L; l++)
        {
            var z = new T[network.Sizes[l]];
            var w = network.Weights[l];
            for (int j = 0; j < z.Length; j++)
                z[j] = TensorPrimitives.Dot<T>(w.Row(j), a) + network.Biases[l][j]; // Eq. 25: z^l = w^l a^(l−1) + b^l
            if (l == layer) z[neuron] += dz;                                        // the demon's nudge
            a = new T[z.Length];
            network.Activations[l].Apply<T>(z, a, z.Length);
        }
        return a;
    }

    /// <summary>
    /// For every Δz: ΔC = C(z^l_j + Δz) − C measured by <see cref="NudgedForward"/>, against δ^l_j Δz with δ from backprop
    /// (by BP3, δ^l_j = ∂C/∂b^l_j).
    /// </summary>
    public static DemonResult Experiment(Network<double> network, ReadOnlySpan<double> x, ReadOnlySpan<double> y, Cost cost,
        int layer, int neuron, IReadOnlyList<double>? nudges = null)
    {
        CheckNeuron(network.Sizes, layer, neuron);
        double delta = network.Backprop(x, y, cost).Biases[layer][neuron]; // BP3: ∂C/∂b^l_j = δ^l_j
        double c = FiniteDifferences.ExampleCost(network, x, y, cost);
        var points = new List<DemonPoint>();
        foreach (double dz in nudges ?? DefaultNudges)
        {
            double measured = cost.Total<double>(NudgedForward(network, x, layer, neuron, dz), y) - c;
            points.Add(new DemonPoint(dz, measured, delta * dz));
        }
        return new DemonResult(layer, neuron, delta, c, points);
    }

    internal static void CheckNeuron(IReadOnlyList<int> sizes, int layer, int neuron)
    {
        int L = sizes.Count - 1;
        if (layer < 1 || layer > L)
            throw new NablaException($"layer {layer} has no weighted input: layers are numbered 1 (first after the input) to {L} (output)");
        if (neuron < 0 || neuron >= sizes[layer])
            throw new NablaException($"neuron {neuron} does not exist in layer {layer}, which has neurons 0 to {sizes[layer] - 1}");
    }
}
