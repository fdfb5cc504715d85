using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla;

/// <summary>
/// The fully matrix-based backpropagation over a whole mini-batch: the m examples are the rows of one
/// matrix, so each layer is one matrix product instead of m matrix-vector products. All buffers (z^l,
/// a^l and δ^l for every layer, for up to <see cref="Capacity"/> examples) are made once, here, as in
/// llm.c: a training step allocates nothing. Every product runs through <see cref="ParallelGemm{T}"/> on the
/// threads of the batch's <see cref="ComputeContext"/>, and so do the elementwise steps of large layers.
/// Filling the batch with examples is the job of <see cref="MiniBatchLoader{T}"/>.
/// </summary>
public sealed class MiniBatch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _a;      // a^l for l = 0…L; a^0 holds the inputs. Capacity × n_l each.
    private readonly T[][] _z;      // z^l for l = 1…L
    private readonly T[][] _delta;  // δ^l for l = 1…L
    private T[][]? _sigma;          // σ(z^l) before the dropout mask, for hidden layers, made when dropout is first used
    private T[] _y;                 // targets, Capacity × n_L
    private readonly ParallelGemm<T> _gemm;
    private readonly ParallelRows? _rows; // with more than one thread

    /// <summary>The network whose z^l, a^l and δ^l the batch holds; its weights and biases are read, and updated in place.</summary>
    public Network<T> Network { get; }
    /// <summary>The most examples a batch can hold.</summary>
    public int Capacity { get; }
    /// <summary>m, the number of examples now in the batch.</summary>
    public int Size { get; private set; }

    /// <summary>
    /// The place of this batch's first example in the mini-batch it is part of: 0, except in data-parallel training, where each
    /// process holds a slice of a global mini-batch. The dropout masks are a function of the example's place, so a process
    /// that counts from here draws, for its rows, the masks one process holding the whole mini-batch would.
    /// </summary>
    internal int FirstRow { get; set; }

    /// <summary>Where the trainer's step times go, when it times them; the optimiser marks the end of the gradient here.</summary>
    internal StepTiming? Timing { get; set; }

    /// <summary>The threads the products and the large elementwise steps run on.</summary>
    internal ComputeContext Context => _gemm.Context;

    private IReadOnlyList<int> Sizes => Network.Sizes;
    private int L => Network.L;

    /// <param name="network">The network to train or evaluate.</param>
    /// <param name="capacity">The most examples a batch can hold.</param>
    /// <param name="context">The threads the matrix products use; <see cref="ComputeContext.Serial"/> when null.</param>
    public MiniBatch(Network<T> network, int capacity, ComputeContext? context = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Network = network;
        Capacity = capacity;
        _gemm = new ParallelGemm<T>(context ?? ComputeContext.Serial);
        if (_gemm.Context.Threads > 1) _rows = new ParallelRows(_gemm.Context);
        _a = network.Sizes.Select(n => new T[capacity * n]).ToArray();
        _z = network.Sizes.Select((n, l) => l == 0 ? [] : new T[capacity * n]).ToArray();
        _delta = network.Sizes.Select((n, l) => l == 0 ? [] : new T[capacity * n]).ToArray();
        _y = new T[capacity * network.Sizes[^1]];
    }

    /// <summary>a^l of the batch, one row per example; a^0 is the input. With dropout, a hidden layer's a^l is the masked σ(z^l) that the next layer sees.</summary>
    public Span<T> Activation(int l) => _a[l].AsSpan(0, Size * Sizes[l]);
    /// <summary>z^l of the batch, one row per example.</summary>
    public Span<T> WeightedInput(int l) => _z[CheckLayer(l)].AsSpan(0, Size * Sizes[l]);
    /// <summary>δ^l = ∂C_x/∂z^l of the batch, one row per example.</summary>
    public Span<T> Delta(int l) => _delta[CheckLayer(l)].AsSpan(0, Size * Sizes[l]);
    /// <summary>The targets y, one row per example.</summary>
    public Span<T> Targets => _y.AsSpan(0, Size * Sizes[L]);

    private ReadOnlyMemory<T> ActivationMemory(int l) => _a[l].AsMemory(0, Size * Sizes[l]);
    private Memory<T> WeightedInputMemory(int l) => _z[l].AsMemory(0, Size * Sizes[l]);
    private Memory<T> DeltaMemory(int l) => _delta[l].AsMemory(0, Size * Sizes[l]);

    private int CheckLayer(int l) => l >= 1 && l <= L ? l : throw new ArgumentOutOfRangeException(nameof(l), l, $"1 ≤ l ≤ {L}");

    /// <summary>Sets m; the caller then fills <see cref="Activation"/>(0) and <see cref="Targets"/>.</summary>
    public void Resize(int m)
    {
        if (m < 1 || m > Capacity) throw new ArgumentOutOfRangeException(nameof(m), m, $"a batch holds 1 to {Capacity} examples");
        Size = m;
    }

    /// <summary>
    /// Copies the examples <paramref name="indices"/> of <paramref name="data"/> into the batch (inputs as rows, targets as rows:
    /// one-hot for classes), on this thread: <see cref="MiniBatchLoader{T}"/>'s gather, for a batch used on its own.
    /// </summary>
    public void Load(Dataset data, ReadOnlySpan<int> indices) => MiniBatchLoader<T>.Gather(this, data, indices);

    /// <summary>The whole input and target buffers (Capacity rows), for the loader to fill.</summary>
    internal (T[] Inputs, T[] Targets) Buffers => (_a[0], _y);

    /// <summary>Makes <paramref name="inputs"/> and <paramref name="targets"/> (filled elsewhere, m rows) this batch's, and hands back the old buffers: no copy.</summary>
    internal void SwapIn(ref T[] inputs, ref T[] targets, int m)
    {
        if (inputs.Length != _a[0].Length || targets.Length != _y.Length) throw new ArgumentException("buffers of another shape");
        Resize(m);
        (_a[0], inputs) = (inputs, _a[0]);
        (_y, targets) = (targets, _y);
    }

    /// <summary>
    /// Eq. 25 for the whole batch: Z^l = A^(l−1) (w^l)ᵀ + b^l and A^l = σ(Z^l), layer after layer. With
    /// <paramref name="dropout"/> (training), each hidden layer's a^l = mask^l ⊙ σ(z^l), so the next layer and BP4 see
    /// only the kept neurons; draw the masks first (<see cref="Dropout.Draw"/>).
    /// </summary>
    public void FeedForward(Dropout? dropout = null)
    {
        if (dropout is not null) _sigma ??= Sizes.Select((n, l) => l == 0 || l == L ? [] : new T[Capacity * n]).ToArray();
        for (int l = 1; l <= L; l++)
        {
            _gemm.MultiplyTransposedAddBias(ActivationMemory(l - 1), Network.Weights[l].Data, Network.Biases[l], WeightedInputMemory(l), Size, Sizes[l], Sizes[l - 1]);
            Elementwise(l, Step.Activate, l < L ? dropout : null);
        }
    }

    /// <summary>
    /// BP1 and BP2 for every example of the batch at once: δ^L, then δ^(L−1) … δ^1. With <paramref name="dropout"/> (the
    /// masks of the forward pass), a^l = mask ⊙ σ(z^l) gives δ^l = ((w^(l+1))ᵀ δ^(l+1)) ⊙ mask^l ⊙ σ'(z^l), σ' taken at
    /// the unmasked σ(z^l).
    /// </summary>
    public void BackpropagateError(Cost cost, Dropout? dropout = null)
    {
        // BP1: δ^L = ∇_a C ⊙ σ'(z^L); the output layer has no dropout.
        cost.OutputError<T>(Network.Activations[L], WeightedInput(L), Activation(L), Targets, Delta(L), Sizes[L]);
        for (int l = L - 1; l >= 1; l--)
        {
            // BP2: δ^l = ((w^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l); with examples as rows, (w^(l+1))ᵀ δ^(l+1) is Δ^(l+1) w^(l+1).
            _gemm.Multiply(DeltaMemory(l + 1), Network.Weights[l + 1].Data, DeltaMemory(l), Size, Sizes[l], Sizes[l + 1]);
            Elementwise(l, Step.MultiplyByDerivative, dropout);
        }
    }

    /// <summary>Adds Σ_x ∂C_x/∂b and Σ_x ∂C_x/∂w over the batch to <paramref name="gradient"/> (BP3, BP4 summed over examples).</summary>
    public void AccumulateGradient(Gradient<T> gradient) => Gradient(gradient, T.One, T.One);

    /// <summary>Σ_x ∂C_x/∂b and Σ_x ∂C_x/∂w over the batch into <paramref name="gradient"/> (overwritten): BP3 and BP4, summed, not averaged.</summary>
    public void ComputeGradientSum(Gradient<T> gradient) => Gradient(gradient, T.One, T.Zero);

    /// <summary>
    /// ∇C for this batch into <paramref name="gradient"/> (overwritten): the mean (1/m) Σ_x of BP3 and BP4, for the
    /// optimisers that need ∇C itself rather than the fused step.
    /// </summary>
    public void ComputeMeanGradient(Gradient<T> gradient) => Gradient(gradient, T.One / T.CreateChecked(Size), T.Zero);

    // gradient = beta·gradient + alpha·Σ_x (BP3, BP4)
    private void Gradient(Gradient<T> gradient, T alpha, T beta)
    {
        for (int l = 1; l <= L; l++)
        {
            // BP3: ∂C/∂b^l = δ^l, summed over the rows.
            Gemm.SumRowsAccumulate<T>(Delta(l), gradient.Biases[l], Size, Sizes[l], alpha, beta);
            // BP4: ∂C/∂w^l_jk = a^(l−1)_k δ^l_j, summed over the examples: Δᵀ A^(l−1).
            _gemm.MultiplyTransposedAAccumulate(DeltaMemory(l), ActivationMemory(l - 1), gradient.Weights[l].AsMemory(), Size, Sizes[l], Sizes[l - 1], alpha, beta);
        }
    }

    /// <summary>
    /// The chapter's update rule for this batch: w^l → w^l − (η/m) Σ_x δ^(x,l) (a^(x,l−1))ᵀ and
    /// b^l → b^l − (η/m) Σ_x δ^(x,l). BP3 and BP4 are fused into the update, so ∇w is never stored.
    /// </summary>
    public void GradientDescentStep(T eta)
    {
        T step = -eta / T.CreateChecked(Size);
        for (int l = 1; l <= L; l++)
        {
            Gemm.SumRowsAccumulate<T>(Delta(l), Network.Biases[l], Size, Sizes[l], step, T.One);
            _gemm.MultiplyTransposedAAccumulate(DeltaMemory(l), ActivationMemory(l - 1), Network.Weights[l].Data, Size, Sizes[l], Sizes[l - 1], step, T.One);
        }
    }

    /// <summary>Σ_x C_x over the batch (after <see cref="FeedForward"/>).</summary>
    public T TotalCost(Cost cost) => cost.Total<T>(Activation(L), Targets);

    /// <summary>How many examples of the batch the network classifies right: argmax of a^L against argmax of y.</summary>
    public int CountCorrect()
    {
        int n = Sizes[L], correct = 0;
        var output = Activation(L);
        var y = Targets;
        for (int i = 0; i < Size; i++)
            if (TensorPrimitives.IndexOfMax<T>(output.Slice(i * n, n)) == TensorPrimitives.IndexOfMax<T>(y.Slice(i * n, n))) correct++;
        return correct;
    }

    /// <summary>True when every example's a^l equals <paramref name="row"/> bit for bit (after <see cref="FeedForward"/>).</summary>
    internal bool EveryRowEquals(int l, ReadOnlySpan<T> row)
    {
        int n = Sizes[l];
        var rows = Activation(l);
        for (int i = 0; i < Size; i++)
            if (!rows.Slice(i * n, n).SequenceEqual(row)) return false;
        return true;
    }

    private enum Step { Activate, MultiplyByDerivative }

    /// <summary>The elementwise step of layer l for the whole batch, on every thread when the layer is large enough.</summary>
    private void Elementwise(int l, Step step, Dropout? dropout)
    {
        if (_rows is null || Size * Sizes[l] < ParallelRows.MinParallelElements) Elementwise(l, step, dropout, 0, Size);
        else _rows.Run(this, l, step, dropout);
    }

    /// <summary>
    /// For the examples [start, end) of layer l: a = σ(z) (masked with dropout), or δ ⊙= σ'(z) (and the mask). Every activation
    /// works row by row (softmax included) and the masks are a function of the element's place, so any split gives the same numbers.
    /// </summary>
    private void Elementwise(int l, Step step, Dropout? dropout, int start, int end)
    {
        int n = Sizes[l], first = start * n, length = (end - start) * n, maskIndex = (FirstRow + start) * n;
        var z = _z[l].AsSpan(first, length);
        var a = _a[l].AsSpan(first, length);
        var sigma = dropout is null ? a : _sigma![l].AsSpan(first, length); // σ(z^l), unmasked
        if (step == Step.Activate)
        {
            Network.Activations[l].Apply<T>(z, sigma, n);
            dropout?.Apply<T>(l, sigma, a, maskIndex);                                 // a^l = mask^l ⊙ σ(z^l)
        }
        else
        {
            var delta = _delta[l].AsSpan(first, length);
            dropout?.Apply<T>(l, delta, delta, maskIndex);                             // ⊙ mask^l
            Network.Activations[l].MultiplyByDerivative<T>(z, sigma, delta, delta, n); // ⊙ σ'(z^l)
        }
    }

    /// <summary>
    /// The elementwise steps of a layer split by examples across the threads of the products. Used for layers of at least
    /// <see cref="MinParallelElements"/> values: σ of [784,1000,1000,10]'s 100 × 1,000 hidden layers took 0.2 ms a layer on
    /// one core, about a twentieth of a step.
    /// </summary>
    private sealed class ParallelRows(ComputeContext context) : ParallelWork
    {
        /// <summary>Fewer values than this (some 20 µs of σ) stay on the calling thread.</summary>
        public const int MinParallelElements = 16_384;

        private MiniBatch<T>? _batch;
        private Dropout? _dropout;
        private int _layer;
        private Step _step;

        public void Run(MiniBatch<T> batch, int l, Step step, Dropout? dropout)
        {
            (_batch, _layer, _step, _dropout) = (batch, l, step, dropout);
            try { context.RunUnwrapped(this); }
            finally { (_batch, _dropout) = (null, null); }
        }

        public override void Execute(int part, int parts)
        {
            var (start, end) = ComputeContext.Partition(_batch!.Size, part, parts, 1);
            if (end > start) _batch.Elementwise(_layer, _step, _dropout, start, end);
        }
    }
}
