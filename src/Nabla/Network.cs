using System.Numerics;

namespace Nabla;

/// <summary>How the weights and biases start.</summary>
public enum Initialization
{
    /// <summary>Weights and biases drawn from N(0, 1), as in the chapter's network.py.</summary>
    StandardNormal,
    /// <summary>Weights from N(0, 1/n_in), biases from N(0, 1) (network2.py's default): neurons start unsaturated.</summary>
    ScaledNormal,
}

/// <summary>
/// A feedforward network in the chapter's notation. Layer 0 is the input (the book numbers it 1; only
/// the numbering shifts), layer L the output. For 1 ≤ l ≤ L, <c>Weights[l][j, k]</c> is w^l_jk, the
/// weight from neuron k of layer l−1 to neuron j of layer l; <c>Biases[l][j]</c> is b^l_j; and
/// <c>Activations[l]</c> is σ for layer l. T is float (training) or double (checks): one generic code.
/// </summary>
public sealed partial class Network<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The number of neurons in layers 0 (input) to L (output), e.g. [784, 30, 10].</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <summary>L: the number of layers after the input layer; the output layer is layer L.</summary>
    public int L => Sizes.Count - 1;

    /// <summary>w^l for 1 ≤ l ≤ L: <c>Weights[l][j, k]</c> is w^l_jk, a Sizes[l] × Sizes[l−1] matrix.</summary>
    public PerLayer<Matrix<T>> Weights { get; }
    /// <summary>b^l for 1 ≤ l ≤ L: <c>Biases[l][j]</c> is b^l_j.</summary>
    public PerLayer<T[]> Biases { get; }
    /// <summary>σ of each layer 1 ≤ l ≤ L (the input layer has none).</summary>
    public PerLayer<Activation> Activations { get; }

    /// <summary>A network with one activation for every layer (sigmoid when none is given), initialised from <paramref name="seed"/>.</summary>
    public Network(IReadOnlyList<int> sizes, Activation? activation = null, Initialization initialization = Initialization.StandardNormal, int seed = 0)
        : this(sizes, Enumerable.Repeat(activation ?? Activation.Sigmoid, Math.Max(sizes.Count - 1, 0)).ToArray(), initialization, seed) { }

    /// <summary>A network with an activation per layer: <paramref name="activations"/>[l − 1] is σ of layer l.</summary>
    /// <exception cref="NablaException">Fewer than two layers, a layer without neurons, or not one activation per layer after the input.</exception>
    public Network(IReadOnlyList<int> sizes, IReadOnlyList<Activation> activations, Initialization initialization = Initialization.StandardNormal, int seed = 0)
        : this(sizes, activations, CreateWeights(sizes), CreateBiases(sizes))
    {
        Initialize(initialization, seed);
    }

    /// <summary>A network from given parameters (e.g. a loaded model file); the arrays are used, not copied.</summary>
    /// <exception cref="NablaException">Fewer than two layers, a layer without neurons, or a count or shape that does not match <paramref name="sizes"/>.</exception>
    public Network(IReadOnlyList<int> sizes, IReadOnlyList<Activation> activations, IReadOnlyList<Matrix<T>> weights, IReadOnlyList<T[]> biases)
    {
        if (sizes.Count < 2) throw new NablaException($"a network needs at least an input and an output layer; got {sizes.Count} layer size(s)");
        for (int l = 0; l < sizes.Count; l++)
            if (sizes[l] <= 0) throw new NablaException($"layer {l} has {sizes[l]} neurons; every layer needs at least one");
        int layers = sizes.Count - 1;
        if (activations.Count != layers) throw new NablaException($"{layers} layers after the input need {layers} activations, got {activations.Count}");
        if (weights.Count != layers || biases.Count != layers) throw new NablaException($"{layers} layers need {layers} weight matrices and bias vectors");
        for (int l = 1; l <= layers; l++)
        {
            var w = weights[l - 1];
            if (w.Rows != sizes[l] || w.Columns != sizes[l - 1])
                throw new NablaException($"w^{l} must be {sizes[l]}×{sizes[l - 1]} (neurons of layer {l} × neurons of layer {l - 1}), got {w.Rows}×{w.Columns}");
            if (biases[l - 1].Length != sizes[l])
                throw new NablaException($"b^{l} must have {sizes[l]} entries, got {biases[l - 1].Length}");
        }
        Sizes = sizes.ToArray();
        Activations = new PerLayer<Activation>(activations.ToArray());
        Weights = new PerLayer<Matrix<T>>(weights.ToArray());
        Biases = new PerLayer<T[]>(biases.ToArray());
    }

    private static Matrix<T>[] CreateWeights(IReadOnlyList<int> sizes) =>
        Enumerable.Range(1, Math.Max(sizes.Count - 1, 0)).Select(l => new Matrix<T>(Math.Max(sizes[l], 0), Math.Max(sizes[l - 1], 0))).ToArray();

    private static T[][] CreateBiases(IReadOnlyList<int> sizes) =>
        Enumerable.Range(1, Math.Max(sizes.Count - 1, 0)).Select(l => new T[Math.Max(sizes[l], 0)]).ToArray();

    /// <summary>Draws every weight and bias again; the same seed gives the same numbers for float and double.</summary>
    public void Initialize(Initialization initialization, int seed)
    {
        var normal = new GaussianSource(seed);
        for (int l = 1; l <= L; l++)
        {
            double weightScale = initialization == Initialization.ScaledNormal ? 1.0 / Math.Sqrt(Sizes[l - 1]) : 1.0;
            foreach (ref T w in Weights[l].AsSpan()) w = T.CreateChecked(normal.Next() * weightScale);
            foreach (ref T b in Biases[l].AsSpan()) b = T.CreateChecked(normal.Next());
        }
    }

    /// <summary>Total number of weights and biases.</summary>
    public int ParameterCount => Gradient<T>.ParameterCount(Sizes);

    /// <summary>a^L for one input x: Eq. 25, a^l = σ(w^l a^(l−1) + b^l), layer after layer.</summary>
    public T[] FeedForward(ReadOnlySpan<T> x) => Forward(x).Output.ToArray();

    /// <summary>The index of the most active output neuron: the network's answer for a classification input.</summary>
    public int Predict(ReadOnlySpan<T> x)
    {
        var output = Forward(x).Output;
        int best = 0;
        for (int j = 1; j < output.Length; j++) if (output[j] > output[best]) best = j;
        return best;
    }

    /// <summary>
    /// The forward pass for one input, keeping what backprop needs and what a learner wants to look at:
    /// z^l (WeightedInput) and a^l (Activation) of every layer.
    /// </summary>
    public ForwardPass<T> Forward(ReadOnlySpan<T> x)
    {
        var pass = new ForwardPass<T>(Sizes);
        Forward(x, pass);
        return pass;
    }

    /// <summary>As <see cref="Forward(ReadOnlySpan{T})"/>, into a pass made once by <see cref="CreateForwardPass"/>: allocates nothing.</summary>
    public void Forward(ReadOnlySpan<T> x, ForwardPass<T> pass)
    {
        CheckLength(x, Sizes[0], "input x");
        if (pass.L != L) throw new NablaException($"the forward pass was made for a network of {pass.L} layers, not {L}");
        for (int l = 0; l <= L; l++)
            if (pass.Activation(l).Length != Sizes[l]) throw new NablaException($"the forward pass was made for another network: layer {l} has {pass.Activation(l).Length} neurons there, {Sizes[l]} here");
        x.CopyTo(pass.Activation(0));
        for (int l = 1; l <= L; l++)
        {
            // Eq. 25: z^l = w^l a^(l−1) + b^l, a^l = σ(z^l)
            MatrixVector(Weights[l], pass.Activation(l - 1), Biases[l], pass.WeightedInput(l));
            Activations[l].Apply<T>(pass.WeightedInput(l), pass.Activation(l), Sizes[l]);
        }
    }

    /// <summary>Room for one forward pass of this network, to be reused by <see cref="Forward(ReadOnlySpan{T}, ForwardPass{T})"/>.</summary>
    public ForwardPass<T> CreateForwardPass() => new(Sizes);

    /// <summary>A deep copy.</summary>
    public Network<T> Clone() =>
        new(Sizes, Activations.ToArray(), Weights.Select(w => w.Clone()).ToArray(), Biases.Select(b => (T[])b.Clone()).ToArray());

    /// <summary>The same network in another precision (float ↔ double).</summary>
    public Network<TOther> Convert<TOther>() where TOther : unmanaged, IFloatingPointIeee754<TOther> =>
        new(Sizes, Activations.ToArray(),
            Weights.Select(w => new Matrix<TOther>(w.Rows, w.Columns, w.Data.Select(TOther.CreateChecked).ToArray())).ToArray(),
            Biases.Select(b => b.Select(TOther.CreateChecked).ToArray()).ToArray());

    /// <summary>Precision, layer sizes and activations, e.g. <c>Network&lt;Single&gt;[784, 30, 10] (sigmoid, sigmoid)</c>.</summary>
    public override string ToString() =>
        $"Network<{typeof(T).Name}>[{string.Join(", ", Sizes)}] ({string.Join(", ", Activations.Select(a => a.Name))})";

    /// <summary>result = w·x + b for one example (the single-example form of Eq. 25).</summary>
    private static void MatrixVector(Matrix<T> w, ReadOnlySpan<T> x, ReadOnlySpan<T> b, Span<T> result)
    {
        for (int j = 0; j < w.Rows; j++)
            result[j] = System.Numerics.Tensors.TensorPrimitives.Dot<T>(w.Row(j), x) + b[j];
    }

    internal static void CheckLength(ReadOnlySpan<T> values, int expected, string what)
    {
        if (values.Length != expected)
            throw new NablaException($"{what} has {values.Length} entries but the layer has {expected} neurons");
    }
}

/// <summary>z^l and a^l of every layer after one forward pass. a^0 is the input.</summary>
public sealed class ForwardPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _z, _a;

    internal ForwardPass(IReadOnlyList<int> sizes)
    {
        _a = sizes.Select(n => new T[n]).ToArray();
        _z = sizes.Select((n, l) => new T[l == 0 ? 0 : n]).ToArray();
    }

    /// <summary>L: the number of layers after the input layer.</summary>
    public int L => _a.Length - 1;

    /// <summary>z^l = w^l a^(l−1) + b^l, for 1 ≤ l ≤ L.</summary>
    public Span<T> WeightedInput(int l) => l >= 1 && l <= L ? _z[l] : throw new ArgumentOutOfRangeException(nameof(l), l, $"z^l exists for 1 ≤ l ≤ {L}");

    /// <summary>a^l = σ(z^l) for 1 ≤ l ≤ L; a^0 is the input.</summary>
    public Span<T> Activation(int l) => l >= 0 && l <= L ? _a[l] : throw new ArgumentOutOfRangeException(nameof(l), l, $"a^l exists for 0 ≤ l ≤ {L}");

    /// <summary>a^L.</summary>
    public Span<T> Output => _a[L];
}

/// <summary>Normal deviates from a seeded generator (Box–Muller), the same sequence on every run and machine.</summary>
internal sealed class GaussianSource(int seed)
{
    private readonly Random _random = new(seed);
    private double? _spare;

    public double Next()
    {
        if (_spare is double s) { _spare = null; return s; }
        double u1 = 1.0 - _random.NextDouble(), u2 = _random.NextDouble(); // u1 in (0, 1]: ln never sees 0
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }
}
