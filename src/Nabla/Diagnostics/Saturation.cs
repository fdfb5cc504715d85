using System.Numerics;

namespace Nabla.Diagnostics;

/// <summary>Thresholds of the saturation report.</summary>
public sealed record SaturationOptions
{
    /// <summary>A neuron counts as saturated on an example when σ'(z) is below this (sigmoid: |z| > 4.6; ReLU: z &lt; 0).</summary>
    public double DerivativeThreshold { get; init; } = 0.01;
    /// <summary>An input activation counts as ≈ 0 when |a| is below this.</summary>
    public double ActivationThreshold { get; init; } = 0.01;
    /// <summary>Examples per mini-batch while measuring.</summary>
    public int BatchSize { get; init; } = 500;
}

/// <summary>
/// Why layer l learns slowly or not. By BP1 and BP2 δ carries a factor σ'(z): a saturated neuron (σ' ≈ 0) has a small
/// error and its weights learn slowly. By BP4 ∂C/∂w_jk = a_in δ_out: a weight from a low-activation input
/// (a ≈ 0) learns slowly too.
/// </summary>
/// <param name="Layer">l, 1 to L.</param>
/// <param name="SaturatedFraction">Fraction of (example, neuron of layer l) with σ'(z^l) below the threshold.</param>
/// <param name="InactiveInputFraction">Fraction of (example, neuron of layer l−1) with |a^(l−1)| below the threshold: the inputs to w^l.</param>
/// <param name="MeanAbsDelta">Mean |δ^l_j| over examples and neurons.</param>
/// <param name="WeightGradientNorm">‖∂C/∂w^l‖ (Frobenius), C the mean cost over the sample.</param>
/// <param name="BiasGradientNorm">‖∂C/∂b^l‖, C the mean cost over the sample.</param>
public sealed record LayerSaturation(int Layer, double SaturatedFraction, double InactiveInputFraction, double MeanAbsDelta,
    double WeightGradientNorm, double BiasGradientNorm);

/// <summary>The figures of every layer over one sample of examples.</summary>
public sealed record SaturationReport(int Examples, IReadOnlyList<LayerSaturation> Layers, SaturationOptions Options);

/// <summary>Measures <see cref="LayerSaturation"/> with the mini-batch backprop (so in the network's own precision and speed).</summary>
public static class Saturation
{
    /// <summary>The figures over the examples <paramref name="indices"/> of <paramref name="data"/> (all of it when null).</summary>
    public static SaturationReport Measure<T>(Network<T> network, Cost cost, Dataset data, IReadOnlyList<int>? indices = null, SaturationOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        options ??= new SaturationOptions();
        int[] chosen = indices?.ToArray() ?? Enumerable.Range(0, data.Count).ToArray();
        if (chosen.Length == 0) throw new NablaException("the saturation report needs at least one example");
        int L = network.L;
        var batch = new MiniBatch<T>(network, Math.Min(options.BatchSize, chosen.Length));
        var gradient = new Gradient<T>(network.Sizes);
        long[] saturated = new long[L + 1], inactive = new long[L + 1];
        double[] sumAbsDelta = new double[L + 1];
        T derivativeThreshold = T.CreateChecked(options.DerivativeThreshold), activationThreshold = T.CreateChecked(options.ActivationThreshold);
        var derivative = new T[batch.Capacity * network.Sizes.Max()];
        for (int start = 0; start < chosen.Length; start += batch.Capacity)
        {
            int m = Math.Min(batch.Capacity, chosen.Length - start);
            batch.Load(data, chosen.AsSpan(start, m));
            batch.FeedForward();
            batch.BackpropagateError(cost);
            batch.AccumulateGradient(gradient);
            for (int l = 1; l <= L; l++)
            {
                var sigmaPrime = derivative.AsSpan(0, m * network.Sizes[l]);
                network.Activations[l].Derivative<T>(batch.WeightedInput(l), batch.Activation(l), sigmaPrime);
                foreach (T s in sigmaPrime) if (s < derivativeThreshold) saturated[l]++;
                foreach (T a in batch.Activation(l - 1)) if (T.Abs(a) < activationThreshold) inactive[l]++;
                foreach (T d in batch.Delta(l)) sumAbsDelta[l] += double.CreateChecked(T.Abs(d));
            }
        }
        int n = chosen.Length;
        var layers = Enumerable.Range(1, L).Select(l => new LayerSaturation(l,
            (double)saturated[l] / ((long)n * network.Sizes[l]),
            (double)inactive[l] / ((long)n * network.Sizes[l - 1]),
            sumAbsDelta[l] / ((long)n * network.Sizes[l]),
            Norm<T>(gradient.Weights[l].AsSpan()) / n,   // the gradient of the mean cost: (1/n) Σ_x ∂C_x/∂w
            Norm<T>(gradient.Biases[l]) / n)).ToArray();
        return new SaturationReport(n, layers, options);
    }

    /// <summary><paramref name="count"/> distinct example indices of <paramref name="data"/> drawn from <paramref name="seed"/> (all of them when count ≥ data.Count).</summary>
    public static int[] Sample(Dataset data, int count, int seed)
    {
        var order = Enumerable.Range(0, data.Count).ToArray();
        if (count >= data.Count) return order;
        new Random(seed).Shuffle(order);
        return order[..Math.Max(count, 0)];
    }

    private static double Norm<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (T v in values) { double d = double.CreateChecked(v); sum += d * d; }
        return Math.Sqrt(sum);
    }
}
