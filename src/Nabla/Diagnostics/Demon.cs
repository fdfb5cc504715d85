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
public sealed record DemonResult(int Layer, int Neuron, double Delta, double Cost, IReadOnlyList<DemonPoint> Points);

/// <summary>
/// Eq. 29 made into an experiment. A demon sits at neuron j of layer l and adds Δz to its weighted input, so the
/// neuron outputs σ(z^l_j + Δz); the change propagates and the cost changes by ≈ (∂C/∂z^l_j) Δz = δ^l_j Δz.
/// δ^l_j, the error, is exactly that rate.
/// </summary>
public static class Demon
{
    /// <summary>The Δz the command uses: symmetric, halving, so that the error's Δz² shrinkage is visible.</summary>
    public static IReadOnlyList<double> DefaultNudges { get; } =
        [-1, -0.5, -0.25, -0.125, -0.0625, -0.03125, 0.03125, 0.0625, 0.125, 0.25, 0.5, 1];

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
