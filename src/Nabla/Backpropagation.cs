using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla;

/// <summary>
/// ∂C/∂b^l and ∂C/∂w^l for every layer, in the network's shapes (network.py's nabla_b, nabla_w). All of them live in one
/// array, <see cref="Values"/> (w^1, b^1, w^2, b^2, …), and each layer's are views into it: one buffer that data-parallel
/// training sums across processes in a single all-reduce.
/// </summary>
public sealed class Gradient<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _storage;

    /// <summary>∂C/∂b^l_j, indexed [l][j].</summary>
    public PerLayer<ArraySegment<T>> Biases { get; }
    /// <summary>∂C/∂w^l_jk, indexed [l][j, k].</summary>
    public PerLayer<Matrix<T>> Weights { get; }

    /// <summary>P, the number of weights and biases.</summary>
    public int Length { get; }

    /// <summary>Every entry in one span: ∂C/∂w^1 (row-major), ∂C/∂b^1, ∂C/∂w^2, ∂C/∂b^2, …</summary>
    public Span<T> Values => _storage.AsSpan(0, Length);

    /// <summary>A zero gradient for a network of layer sizes <paramref name="sizes"/> (input layer first).</summary>
    /// <exception cref="NablaException">The network has more parameters than one array holds.</exception>
    public Gradient(IReadOnlyList<int> sizes) : this(sizes, null) { }

    /// <summary>A gradient over the first P entries of <paramref name="storage"/> (which may hold more after them), or of a new array when null.</summary>
    internal Gradient(IReadOnlyList<int> sizes, T[]? storage)
    {
        Length = ParameterCount(sizes);
        _storage = storage ?? new T[Length];
        if (_storage.Length < Length) throw new ArgumentException($"a gradient of [{string.Join(",", sizes)}] needs {Length} entries, got {_storage.Length}", nameof(storage));
        var weights = new Matrix<T>[sizes.Count - 1];
        var biases = new ArraySegment<T>[sizes.Count - 1];
        int offset = 0;
        for (int l = 1; l < sizes.Count; l++)
        {
            weights[l - 1] = new Matrix<T>(sizes[l], sizes[l - 1], _storage, offset);
            offset += sizes[l] * sizes[l - 1];
            biases[l - 1] = new ArraySegment<T>(_storage, offset, sizes[l]);
            offset += sizes[l];
        }
        Weights = new PerLayer<Matrix<T>>(weights);
        Biases = new PerLayer<ArraySegment<T>>(biases);
    }

    /// <summary>P: the weights and biases of a network of layer sizes <paramref name="sizes"/>.</summary>
    public static int ParameterCount(IReadOnlyList<int> sizes)
    {
        long count = 0;
        for (int l = 1; l < sizes.Count; l++) count += (long)sizes[l] * sizes[l - 1] + sizes[l];
        return count <= Array.MaxLength ? (int)count : throw new NablaException($"[{string.Join(",", sizes)}] has {count:N0} parameters, more than one array holds");
    }

    /// <summary><c>var (nablaB, nablaW) = gradient;</c> as network.py's <c>backprop</c> returns them.</summary>
    public void Deconstruct(out PerLayer<ArraySegment<T>> nablaB, out PerLayer<Matrix<T>> nablaW) => (nablaB, nablaW) = (Biases, Weights);

    /// <summary>Sets every entry to zero, to sum a new mini-batch into.</summary>
    public void Clear() => Values.Clear();

    /// <summary>Adds <paramref name="other"/> to this gradient.</summary>
    /// <exception cref="ArgumentException"><paramref name="other"/> has a different number of entries.</exception>
    public void Add(Gradient<T> other)
    {
        if (other.Length != Length) throw new ArgumentException($"a gradient of {other.Length} entries added to one of {Length}", nameof(other));
        TensorPrimitives.Add(Values, other.Values, Values);
    }

    /// <summary>Every entry, layer by layer (b^l then w^l), for comparisons and norms.</summary>
    public IEnumerable<T> Flatten() => Enumerable.Range(1, Biases.Count).SelectMany(l => Biases[l].Concat(Weights[l].AsSpan().ToArray()));
}

public sealed partial class Network<T>
{
    /// <summary>
    /// The backpropagation algorithm for one training example (x, y), as the chapter states it.
    /// Returns ∂C_x/∂b and ∂C_x/∂w for every layer.
    /// </summary>
    /// <exception cref="NablaException"><paramref name="x"/> or <paramref name="y"/> does not have the input or output layer's size.</exception>
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
            delta[l].AsSpan().CopyTo(gradient.Biases[l]);
            // BP4: ∂C/∂w^l_jk = a^(l−1)_k δ^l_j
            var aPrevious = pass.Activation(l - 1);
            for (int j = 0; j < Sizes[l]; j++)
                TensorPrimitives.Multiply<T>(aPrevious, delta[l][j], gradient.Weights[l].Row(j));
        }
    }
}
