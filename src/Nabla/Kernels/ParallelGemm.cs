using System.Numerics;

namespace Nabla.Kernels;

/// <summary>
/// The <see cref="Gemm"/> products of backprop, split across the threads of a <see cref="ComputeContext"/>:
/// the forward product and the update by neurons (rows of w), BP2 by the neurons of the layer it computes (columns of w). Thread p always
/// gets the same block, and the split depends only on the shape and the thread count. Each output element is computed by the same instructions whatever the split, so the results equal
/// the single-threaded ones. Products too small to repay the hand-off run on the calling thread.
/// Allocation-free after construction.
/// </summary>
public sealed class ParallelGemm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Fewer multiply-adds than this (about a microsecond of work) stay on the calling thread.</summary>
    public const int MinParallelWork = 16_384;

    /// <summary>
    /// A forward or BP2 product of more than this many multiply-adds per thread (about 13 µs) is cut into up to 8 pieces per
    /// thread, which the threads take in turn: a thread slowed down (a busy neighbour on a shared machine) then does fewer pieces
    /// instead of keeping the others waiting. Which thread computes a piece never changes its numbers. (The update packs all of
    /// the activations per part, which pieces would repeat; it keeps one part per thread.)
    /// </summary>
    public const long PieceWork = 1_000_000;

    private readonly Work _work = new();
    private readonly long _minParallelWork;

    /// <summary>The threads the products are split across.</summary>
    public ComputeContext Context { get; }

    /// <summary>How many pieces the last product was cut into (1: it ran on the calling thread alone).</summary>
    internal int LastPieces { get; private set; }

    /// <summary>Products on the threads of <paramref name="context"/>; those under <see cref="MinParallelWork"/> multiply-adds stay on the calling thread.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is null.</exception>
    public ParallelGemm(ComputeContext context) : this(context, MinParallelWork) { }

    /// <param name="context">The threads.</param>
    /// <param name="minParallelWork">Products of fewer multiply-adds stay on the calling thread (tests split every product with 0).</param>
    internal ParallelGemm(ComputeContext context, long minParallelWork)
    {
        ArgumentNullException.ThrowIfNull(context);
        Context = context;
        _minParallelWork = minParallelWork;
    }

    /// <summary>As <see cref="Gemm.MultiplyTransposedAddBias{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int)"/>, split by columns of C (neurons).</summary>
    public void MultiplyTransposedAddBias(ReadOnlyMemory<T> a, ReadOnlyMemory<T> b, ReadOnlyMemory<T> bias, Memory<T> c, int m, int n, int k)
    {
        GemmChecks.MultiplyTransposedAddBias(a.Span, b.Span, bias.Span, c.Span, m, n, k);
        // Every neuron's value is the same instructions wherever its tile starts, so the split need only keep the parts even
        // (30 neurons: 14 and 16, not 8 and 22) and, in the broadcast form, whole two-vector tiles of packed w (each part
        // packs its own neurons' columns: pieces taken in turn repeat nothing).
        int align = Gemm.ForwardBroadcasts<T>(m, n) ? 2 * Gemm.Lanes<T>() : 2;
        Run(Operation.Forward, a, b, bias, c, m, n, k, T.One, T.Zero, count: n, align, maxPiecesPerThread: 8);
    }

    /// <summary>
    /// As <see cref="Gemm.Multiply{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int)"/>, split by columns of C (neurons of
    /// layer l) in whole two-vector tiles, so that each thread packs only its own columns of w. Split by rows of C (examples), each
    /// thread packed all of w^(l+1) (4 MB at [784,1000,1000,10]), and the packing took 8 % of a training run. A part starts on a
    /// tile boundary, so rows of C share at most one cache line between threads.
    /// </summary>
    public void Multiply(ReadOnlyMemory<T> a, ReadOnlyMemory<T> b, Memory<T> c, int m, int n, int k)
    {
        GemmChecks.Multiply(a.Span, b.Span, c.Span, m, n, k);
        // Pieces taken in turn: each packs only its own columns of w and reads δ where it lies, so pieces repeat nothing, and
        // 500 neurons (15 tiles at 512 bits) no longer split 7 : 8 tiles between two threads.
        Run(Operation.Multiply, a, b, default, c, m, n, k, T.One, T.Zero, count: n, align: 2 * Gemm.Lanes<T>(), maxPiecesPerThread: 8);
    }

    /// <summary>
    /// As <see cref="Gemm.MultiplyTransposedAAccumulate{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int, T, T)"/>, split by
    /// rows of C (neurons), so that each thread writes one contiguous block of the weights. Split by columns, every row of
    /// w would have a cache line written by both threads (a row of 784 floats does not split on a line boundary), and those
    /// lines bouncing between the cores cancelled the second thread at m = 10. Each row's sums are the same instructions
    /// whichever part holds it, so any split gives the single-threaded result.
    /// </summary>
    public void MultiplyTransposedAAccumulate(ReadOnlyMemory<T> a, ReadOnlyMemory<T> b, Memory<T> c, int m, int n, int k, T alpha, T beta)
    {
        GemmChecks.MultiplyTransposedAAccumulate(a.Span, b.Span, c.Span, m, n, k);
        // One part per thread: each part packs all of the activations afresh, so pieces taken in turn would pack them again and
        // again ([784,1000,1000,10]: 8 pieces a thread 127–153 GFLOP/s, 1 piece 156–172, alternating runs of a scratch harness).
        Run(Operation.TransposedAAccumulate, a, b, default, c, m, n, k, alpha, beta, count: n, align: 2, maxPiecesPerThread: 1);
    }

    // count: the dimension the parts split (n or m); align: parts start at multiples of it, so that each part's tiles
    // compute exactly what the single-threaded kernel does.
    private void Run(Operation op, ReadOnlyMemory<T> a, ReadOnlyMemory<T> b, ReadOnlyMemory<T> bias, Memory<T> c, int m, int n, int k, T alpha, T beta,
        int count, int align, int maxPiecesPerThread)
    {
        int parts = Context.Threads;
        long work = (long)m * n * k;
        var w = _work;
        (w.Op, w.A, w.B, w.Bias, w.C, w.M, w.N, w.K, w.Alpha, w.Beta, w.Count, w.Align) = (op, a, b, bias, c, m, n, k, alpha, beta, count, align);
        if (parts == 1 || work < _minParallelWork || count / align < parts)
        {
            LastPieces = 1;
            w.Execute(0, 1);
        }
        else
        {
            int perThread = (int)Math.Clamp(work / parts / PieceWork, 1, maxPiecesPerThread);
            perThread = Math.Max(1, Math.Min(perThread, count / align / parts));
            w.Pieces = LastPieces = parts * perThread;
            w.NextPiece = 0;
            Context.Run(w);
        }
        w.A = w.B = w.Bias = default;
        w.C = default;
    }

    private enum Operation { Forward, Multiply, TransposedAAccumulate }

    private sealed class Work : ParallelWork
    {
        public Operation Op;
        public ReadOnlyMemory<T> A, B, Bias;
        public Memory<T> C;
        public int M, N, K, Count, Align;
        public T Alpha, Beta;

        public int Pieces, NextPiece;

        public override void Execute(int part, int parts)
        {
            if (parts == 1 || Pieces == parts)
            {
                Compute(part, parts); // one part per thread, always the same one
                return;
            }
            int piece;
            while ((piece = Interlocked.Increment(ref NextPiece) - 1) < Pieces)
                Compute(piece, Pieces);
        }

        private void Compute(int piece, int pieces)
        {
            var (start, end) = ComputeContext.Partition(Count, piece, pieces, Align);
            switch (Op)
            {
                case Operation.Forward:
                    Gemm.ForwardBlock(A.Span, B.Span, Bias.Span, C.Span, M, N, K, 0, M, start, end);
                    break;
                case Operation.Multiply:
                    Gemm.MultiplyColumns(A.Span, B.Span, C.Span, M, N, K, start, end);
                    break;
                case Operation.TransposedAAccumulate:
                    Gemm.TransposedACore(A.Span, B.Span, C.Span, M, N, K, Alpha, Beta, start, end);
                    break;
            }
        }
    }
}
