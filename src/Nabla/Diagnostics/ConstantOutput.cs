using System.Numerics;

namespace Nabla.Diagnostics;

/// <summary>Where a network that answers the same for every input stops looking at it: the layer, and why.</summary>
/// <param name="Layer">The first layer whose activations a^l are the same for every example.</param>
/// <param name="Cause">"dead" (every ReLU outputs 0), "saturated" (σ' ≈ 0 everywhere) or "constant" (the same values, for another reason).</param>
/// <param name="Message">One sentence for a person: what happened and what usually causes it.</param>
public sealed record ConstantOutputReport(int Layer, string Cause, string Message);

/// <summary>
/// Explains a network whose output is the same for every example (<see cref="Evaluation.SameOutputForEveryExample"/>): the
/// first layer whose a^l no longer depends on the input. After a too-large η every ReLU of a layer can end up with z &lt; 0
/// for every input: a dead ReLU passes no gradient (σ' = 0), so it never recovers, and the network's answer is one class.
/// </summary>
public static class ConstantOutput
{
    /// <summary>Finds the layer on up to <paramref name="sample"/> examples of <paramref name="data"/>; null when the outputs do differ among them.</summary>
    public static ConstantOutputReport? Explain<T>(Network<T> network, Dataset data, int sample = 500) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = Math.Min(sample, data.Count);
        if (m < 2) return null;
        var batch = new MiniBatch<T>(network, m);
        batch.Load(data, Enumerable.Range(0, m).ToArray());
        batch.FeedForward();
        for (int l = 1; l <= network.L; l++)
        {
            var a = batch.Activation(l)[..network.Sizes[l]];
            if (!batch.EveryRowEquals(l, a)) continue;
            var sigma = network.Activations[l];
            string where = l == network.L ? "the output layer" : $"hidden layer {l}";
            if (sigma is ReLUActivation && !a.ContainsAnyExcept(T.Zero))
                return new(l, "dead", $"every ReLU of {where} outputs 0 for every input (dead ReLUs pass no gradient, so they never recover); " +
                                      "a learning rate η too large for this network usually does this: try a smaller --eta");
            var derivative = new T[a.Length];
            sigma.Derivative<T>(batch.WeightedInput(l)[..a.Length], a, derivative);
            if (sigma is SigmoidActivation or TanhActivation && derivative.All(d => T.Abs(d) < T.CreateChecked(1e-6)))
                return new(l, "saturated", $"every {sigma.Name} neuron of {where} is saturated (σ' ≈ 0 for every input), so no gradient flows back through it; " +
                                           "a learning rate η too large, or weights started too large, usually does this: try a smaller --eta or --init scaled-normal");
            return new(l, "constant", $"{where} ({sigma.Name}) gives the same values for every input, so nothing before it reaches the output");
        }
        return null;
    }
}
