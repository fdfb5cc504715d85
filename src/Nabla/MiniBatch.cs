using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla;

/// <summary>
/// The fully matrix-based backpropagation over a whole mini-batch: the m examples are the rows of one
/// matrix, so each layer is one matrix product instead of m matrix-vector products. All buffers (z^l,
/// a^l and δ^l for every layer, for up to <see cref="Capacity"/> examples) are made once, here, as in
/// llm.c: a training step allocates nothing.
/// </summary>
public sealed partial class MiniBatch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _a;      // a^l for l = 0…L; a^0 holds the inputs. Capacity × n_l each.
    private readonly T[][] _z;      // z^l for l = 1…L
    private readonly T[][] _delta;  // δ^l for l = 1…L
    private T[] _y;                 // targets, Capacity × n_L (swapped with a StagedInputs when a loader filled the next batch)
    private readonly ParallelGemm<T> _gemm;
    private readonly ParallelGather? _gather; // with more than one thread
    private readonly ParallelRows? _rows;     // with more than one thread
    private readonly float[] _pixelScratch; // one input row, when pixels become inputs of a type other than float

    public Network<T> Network { get; }
    /// <summary>The most examples a batch can hold.</summary>
    public int Capacity { get; }
    /// <summary>m, the number of examples now in the batch.</summary>
    public int Size { get; private set; }

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
        if (_gemm.Context.Threads > 1)
        {
            _gather = new ParallelGather(_gemm.Context, capacity, network.Sizes[0]);
            _rows = new ParallelRows(_gemm.Context);
        }
        _pixelScratch = typeof(T) == typeof(float) ? [] : new float[network.Sizes[0]];
        _a = network.Sizes.Select(n => new T[capacity * n]).ToArray();
        _z = network.Sizes.Select((n, l) => l == 0 ? [] : new T[capacity * n]).ToArray();
        _delta = network.Sizes.Select((n, l) => l == 0 ? [] : new T[capacity * n]).ToArray();
        _y = new T[capacity * network.Sizes[^1]];
    }

    /// <summary>a^l of the batch, one row per example; a^0 is the input.</summary>
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

    /// <summary>Copies the examples <paramref name="indices"/> of <paramref name="data"/> into the batch: inputs as rows, labels as one-hot targets.</summary>
    public void Load(Dataset data, ReadOnlySpan<int> indices)
    {
        Fill(data, indices, _a[0], _y, _pixelScratch, _gather);
        Size = indices.Length;
    }

    /// <summary>Inputs and targets for a batch of this shape, to be filled by <see cref="Fill(Dataset, ReadOnlySpan{int}, StagedInputs{T})"/> on another thread.</summary>
    internal StagedInputs<T> CreateStaging() =>
        new(new T[Capacity * Sizes[0]], new T[Capacity * Sizes[L]], typeof(T) == typeof(float) ? [] : new float[Sizes[0]]);

    /// <summary>As <see cref="Load(Dataset, ReadOnlySpan{int})"/>, into <paramref name="staged"/> instead of the batch. Touches nothing of the batch: safe on another thread.</summary>
    internal void Fill(Dataset data, ReadOnlySpan<int> indices, StagedInputs<T> staged)
    {
        Fill(data, indices, staged.Inputs, staged.Targets, staged.Scratch, gather: null);
        staged.Size = indices.Length;
    }

    /// <summary>Makes the filled <paramref name="staged"/> inputs and targets this batch's, and hands the batch's old buffers to <paramref name="staged"/>: no copy.</summary>
    internal void SwapIn(StagedInputs<T> staged)
    {
        if (staged.Inputs.Length != _a[0].Length || staged.Targets.Length != _y.Length) throw new ArgumentException("staged inputs of another shape", nameof(staged));
        (_a[0], staged.Inputs) = (staged.Inputs, _a[0]);
        (_y, staged.Targets) = (staged.Targets, _y);
        Size = staged.Size;
    }

    // gather: the threads of the products, to share the rows among (null: this thread alone).
    private void Fill(Dataset data, ReadOnlySpan<int> indices, T[] inputs, T[] targets, Span<float> scratch, ParallelGather? gather)
    {
        if (indices.Length < 1 || indices.Length > Capacity) throw new ArgumentOutOfRangeException(nameof(indices), indices.Length, $"a batch holds 1 to {Capacity} examples");
        if (data.InputSize != Sizes[0])
            throw new NablaException($"the data has {data.InputSize} inputs per example but the network's input layer has {Sizes[0]} neurons");
        if (data.IsClassification ? data.ClassCount > Sizes[L] : data.OutputSize != Sizes[L])
            throw new NablaException(data.IsClassification
                ? $"the data has {data.ClassCount} classes but the output layer has {Sizes[L]} neurons"
                : $"the data has {data.OutputSize} target values per example but the output layer has {Sizes[L]} neurons");
        if (gather is not null && indices.Length >= 2 * gather.Parts)
            gather.Rows(this, data, indices);
        else
            GatherRows(data, indices, inputs.AsSpan(0, indices.Length * Sizes[0]), scratch);
        if (data.IsClassification) Gather.OneHot(data.Labels, indices, targets.AsSpan(0, indices.Length * Sizes[L]), Sizes[L]); // a class count below the output width leaves the rest 0
        else data.GatherTargets(indices, targets.AsSpan(0, indices.Length * Sizes[L]));
    }

    private void GatherRows(Dataset data, ReadOnlySpan<int> indices, Span<T> inputs, Span<float> scratch)
    {
        if (data.Pixels is { } pixels) Gather.RowsFromPixels(pixels, Sizes[0], indices, inputs, scratch);
        else Gather.Rows(data.Inputs, Sizes[0], indices, inputs);
    }

    /// <summary>
    /// The gather of a batch's inputs split by examples across the threads of the products. A gather mostly waits on memory
    /// for scattered rows; two cores wait for twice as many rows at once. Used when the products have more than one thread
    /// (then no loader thread runs beside them).
    /// </summary>
    private sealed class ParallelGather : ParallelWork
    {
        private readonly ComputeContext _context;
        private readonly int[] _indices;
        private readonly float[][] _scratch;   // one row per thread, when pixels become inputs of a type other than float
        private MiniBatch<T>? _batch;
        private Dataset? _data;
        private int _count;

        public ParallelGather(ComputeContext context, int capacity, int inputs)
        {
            _context = context;
            _indices = new int[capacity];
            _scratch = Enumerable.Range(0, context.Threads).Select(_ => typeof(T) == typeof(float) ? [] : new float[inputs]).ToArray();
        }

        public int Parts => _context.Threads;

        /// <summary>The batch's input rows for <paramref name="indices"/>, each thread gathering its share into the batch's a^0.</summary>
        public void Rows(MiniBatch<T> batch, Dataset data, ReadOnlySpan<int> indices)
        {
            indices.CopyTo(_indices);
            (_batch, _data, _count) = (batch, data, indices.Length);
            try { RunUnwrapped(_context, this); }
            finally { (_batch, _data) = (null, null); }
        }

        public override void Execute(int part, int parts)
        {
            var (start, end) = ComputeContext.Partition(_count, part, parts, 1);
            int width = _batch!.Sizes[0];
            _batch.GatherRows(_data!, _indices.AsSpan(start, end - start), _batch._a[0].AsSpan(start * width, (end - start) * width), _scratch[part]);
        }
    }

    /// <summary>Runs <paramref name="work"/> on the threads of <paramref name="context"/>; a part's exception reaches the caller as itself.</summary>
    private static void RunUnwrapped(ComputeContext context, ParallelWork work)
    {
        try { context.Run(work); }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException!); }
    }

    /// <summary>
    /// The elementwise steps of a layer (a = σ(z) in the forward pass, δ ⊙= σ'(z) in BP2) split by examples across the threads
    /// of the products. Every activation works row by row (softmax included), so any split gives the same numbers. Used for
    /// layers of at least <see cref="MinParallelElements"/> values: σ of [784,1000,1000,10]'s 100 × 1,000 hidden layers took
    /// 0.2 ms a layer on one core, about a twentieth of a step.
    /// </summary>
    private sealed class ParallelRows(ComputeContext context) : ParallelWork
    {
        /// <summary>Fewer values than this (some 20 µs of σ) stay on the calling thread.</summary>
        public const int MinParallelElements = 16_384;

        private MiniBatch<T>? _batch;
        private int _layer;
        private bool _derivative;

        /// <summary>The elementwise step of layer l for the whole batch, each thread doing its share of the examples.</summary>
        public void Run(MiniBatch<T> batch, int l, bool derivative)
        {
            (_batch, _layer, _derivative) = (batch, l, derivative);
            try { RunUnwrapped(context, this); }
            finally { _batch = null; }
        }

        public override void Execute(int part, int parts)
        {
            var (start, end) = ComputeContext.Partition(_batch!.Size, part, parts, 1);
            if (end > start) _batch.Elementwise(_layer, _derivative, start, end);
        }
    }

    /// <summary>σ or the Hadamard product with σ' (see <see cref="ParallelRows"/>) for the examples [start, end) of layer l.</summary>
    private void Elementwise(int l, bool derivative, int start, int end)
    {
        int n = Sizes[l];
        var z = WeightedInput(l).Slice(start * n, (end - start) * n);
        var a = Activation(l).Slice(start * n, (end - start) * n);
        if (derivative)
        {
            var delta = Delta(l).Slice(start * n, (end - start) * n);
            Network.Activations[l].MultiplyByDerivative<T>(z, a, delta, delta, n);
        }
        else
        {
            Network.Activations[l].Apply<T>(z, a, n);
        }
    }

    /// <summary>a^l = σ(z^l) for the whole batch.</summary>
    private void Activate(int l) => Elementwise(l, derivative: false);

    /// <summary>δ^l ⊙= σ'(z^l) for the whole batch.</summary>
    private void MultiplyByActivationDerivative(int l) => Elementwise(l, derivative: true);

    /// <summary>Elementwise(l, derivative, …) for the whole batch, on every thread when the layer is large enough.</summary>
    private void Elementwise(int l, bool derivative)
    {
        if (_rows is null || Size * Sizes[l] < ParallelRows.MinParallelElements) Elementwise(l, derivative, 0, Size);
        else _rows.Run(this, l, derivative);
    }

    /// <summary>
    /// As <see cref="Load(Dataset, ReadOnlySpan{int})"/>, then starts fetching the inputs of the examples <paramref name="next"/>
    /// into the cache, so the next Load, while this batch computes, need not wait on memory for them.
    /// </summary>
    public void Load(Dataset data, ReadOnlySpan<int> indices, ReadOnlySpan<int> next)
    {
        Load(data, indices);
        if (data.Pixels is { } pixels) Gather.Prefetch<byte>(pixels, Sizes[0], next);
        else Gather.Prefetch<float>(data.Inputs, Sizes[0], next);
    }

    /// <summary>Eq. 25 for the whole batch: Z^l = A^(l−1) (w^l)ᵀ + b^l and A^l = σ(Z^l), layer after layer.</summary>
    public void FeedForward()
    {
        for (int l = 1; l <= L; l++)
        {
            _gemm.MultiplyTransposedAddBias(ActivationMemory(l - 1), Network.Weights[l].Data, Network.Biases[l], WeightedInputMemory(l), Size, Sizes[l], Sizes[l - 1]);
            Activate(l);
        }
    }

    /// <summary>BP1 and BP2 for every example of the batch at once: δ^L, then δ^(L−1) … δ^1.</summary>
    public void BackpropagateError(Cost cost)
    {
        // BP1: δ^L = ∇_a C ⊙ σ'(z^L)
        cost.OutputError<T>(Network.Activations[L], WeightedInput(L), Activation(L), Targets, Delta(L), Sizes[L]);
        for (int l = L - 1; l >= 1; l--)
        {
            // BP2: δ^l = ((w^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l); with examples as rows, (w^(l+1))ᵀ δ^(l+1) is Δ^(l+1) w^(l+1).
            _gemm.Multiply(DeltaMemory(l + 1), Network.Weights[l + 1].Data, DeltaMemory(l), Size, Sizes[l], Sizes[l + 1]);
            MultiplyByActivationDerivative(l);
        }
    }

    /// <summary>Adds Σ_x ∂C_x/∂b and Σ_x ∂C_x/∂w over the batch to <paramref name="gradient"/> (BP3, BP4 summed over examples).</summary>
    public void AccumulateGradient(Gradient<T> gradient)
    {
        for (int l = 1; l <= L; l++)
        {
            // BP3: ∂C/∂b^l = δ^l, summed over the rows.
            Gemm.SumRowsAccumulate<T>(Delta(l), gradient.Biases[l], Size, Sizes[l], T.One, T.One);
            // BP4: ∂C/∂w^l_jk = a^(l−1)_k δ^l_j, summed over the examples: Δᵀ A^(l−1).
            Gemm.MultiplyTransposedAAccumulate<T>(Delta(l), Activation(l - 1), gradient.Weights[l].Data, Size, Sizes[l], Sizes[l - 1], T.One, T.One);
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
}

/// <summary>One mini-batch's inputs (rows) and one-hot targets, filled apart from the <see cref="MiniBatch{T}"/> and swapped into it.</summary>
internal sealed class StagedInputs<T>(T[] inputs, T[] targets, float[] scratch) where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] Inputs = inputs;
    public T[] Targets = targets;
    public readonly float[] Scratch = scratch;
    public int Size;
}
