using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla;

/// <summary>∂C/∂b^l and ∂C/∂w^l for every layer, in the network's shapes (network.py's nabla_b, nabla_w).</summary>
public sealed class Gradient<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>∂C/∂b^l_j, indexed [l][j].</summary>
    public PerLayer<T[]> Biases { get; }
    /// <summary>∂C/∂w^l_jk, indexed [l][j, k].</summary>
    public PerLayer<Matrix<T>> Weights { get; }

    public Gradient(IReadOnlyList<int> sizes)
    {
        Biases = new PerLayer<T[]>(Enumerable.Range(1, sizes.Count - 1).Select(l => new T[sizes[l]]).ToArray());
        Weights = new PerLayer<Matrix<T>>(Enumerable.Range(1, sizes.Count - 1).Select(l => new Matrix<T>(sizes[l], sizes[l - 1])).ToArray());
    }

    public void Deconstruct(out PerLayer<T[]> nablaB, out PerLayer<Matrix<T>> nablaW) => (nablaB, nablaW) = (Biases, Weights);

    public void Clear()
    {
        foreach (var b in Biases) Array.Clear(b);
        foreach (var w in Weights) Array.Clear(w.Data);
    }

    /// <summary>Adds <paramref name="other"/> to this gradient.</summary>
    public void Add(Gradient<T> other)
    {
        for (int l = 1; l <= Biases.Count; l++)
        {
            TensorPrimitives.Add(Biases[l], other.Biases[l], Biases[l]);
            TensorPrimitives.Add(Weights[l].Data, other.Weights[l].Data, Weights[l].Data);
        }
    }

    /// <summary>Every entry, layer by layer (b^l then w^l), for comparisons and norms.</summary>
    public IEnumerable<T> Flatten() => Enumerable.Range(1, Biases.Count).SelectMany(l => Biases[l].Concat(Weights[l].Data));
}

public sealed partial class Network<T>
{
    /// <summary>
    /// The backpropagation algorithm for one training example (x, y), as the chapter states it.
    /// Returns ∂C_x/∂b and ∂C_x/∂w for every layer.
    /// </summary>
    public Gradient<T> Backprop(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost)
    {
        var gradient = new Gradient<T>(Sizes);
        Backprop(x, y, cost, gradient);
        return gradient;
    }

    /// <summary>
    /// As <see cref="Backprop(ReadOnlySpan{T}, ReadOnlySpan{T}, Cost)"/>, writing ∂C_x/∂b and ∂C_x/∂w into
    /// <paramref name="gradient"/> (overwritten), so that repeated calls need not allocate the gradient.
    /// </summary>
    public void Backprop(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Cost cost, Gradient<T> gradient)
    {
        CheckLength(y, Sizes[L], "target y");
        if (gradient.Biases.Count != L || Enumerable.Range(1, L).Any(l => gradient.Weights[l].Rows != Sizes[l] || gradient.Weights[l].Columns != Sizes[l - 1]))
            throw new NablaException($"the gradient does not have the shape of the network [{string.Join(", ", Sizes)}]");

        // 1. Input x: set a^0 = x.  2. Feedforward: z^l = w^l a^(l−1) + b^l and a^l = σ(z^l) for l = 1…L.
        var pass = Forward(x);

        var delta = new T[L + 1][];
        // 3. Output error. BP1: δ^L = ∇_a C ⊙ σ'(z^L)
        delta[L] = new T[Sizes[L]];
        cost.OutputError<T>(Activations[L], pass.WeightedInput(L), pass.Activation(L), y, delta[L], Sizes[L]);

        // 4. Backpropagate the error. BP2: δ^l = ((w^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l), for l = L−1, …, 1
        for (int l = L - 1; l >= 1; l--)
        {
            var w = Weights[l + 1];
            var wTransposeDelta = new T[Sizes[l]];
            for (int j = 0; j < w.Rows; j++)          // (w^(l+1))ᵀ δ^(l+1): row j of w^(l+1) scaled by δ^(l+1)_j
                TensorPrimitives.MultiplyAdd<T>(w.Row(j), delta[l + 1][j], wTransposeDelta, wTransposeDelta);
            delta[l] = wTransposeDelta;
            Activations[l].MultiplyByDerivative<T>(pass.WeightedInput(l), pass.Activation(l), wTransposeDelta, delta[l], Sizes[l]);
        }

        // 5. Output: the gradient of the cost.
        for (int l = 1; l <= L; l++)
        {
            // BP3: ∂C/∂b^l_j = δ^l_j
            delta[l].CopyTo(gradient.Biases[l], 0);
            // BP4: ∂C/∂w^l_jk = a^(l−1)_k δ^l_j
            var aPrevious = pass.Activation(l - 1);
            for (int j = 0; j < Sizes[l]; j++)
                TensorPrimitives.Multiply<T>(aPrevious, delta[l][j], gradient.Weights[l].Row(j));
        }
    }
}
