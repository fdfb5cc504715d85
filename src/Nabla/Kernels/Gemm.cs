using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>
/// Dense row-major matrix products for backpropagation over a mini-batch of m examples stored as rows
/// (Nielsen, ch. 2). One generic implementation serves <see cref="float"/> and <see cref="double"/>:
/// register-tiled SIMD kernels (<see cref="SimdGemm{T, TVector, TSimd}"/>) on the widest vectors the processor accelerates
/// (512 bits on AVX-512 cores, whatever width .NET gave <see cref="Vector{T}"/>), with FMA where the hardware has it, and a
/// scalar path where no vector is accelerated or the element type has no vector support (Half, for one). Outputs must not overlap inputs. Single-threaded; the <c>rowStart/rowEnd</c> overloads let
/// a caller split one product by rows of C across threads.
/// </summary>
public static partial class Gemm
{
    /// <summary>
    /// Forward pass (Eq. 25 for a batch): C[m×n] = A[m×k] · B[n×k]ᵀ + bias[n], the bias added to each row
    /// (an empty bias means none). A = activations of layer l−1, B = weights wˡ (row j = neuron j), C = zˡ.
    /// </summary>
    public static void MultiplyTransposedAddBias<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.MultiplyTransposedAddBias(a, b, bias, c, m, n, k);
        ForwardCore(a, b, bias, c, m, n, k, 0, m);
    }

    /// <summary>As <see cref="MultiplyTransposedAddBias{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int)"/>, for rows [rowStart, rowEnd) of C only.</summary>
    internal static void MultiplyTransposedAddBias<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int m, int n, int k, int rowStart, int rowEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.MultiplyTransposedAddBias(a, b, bias, c, m, n, k);
        GemmChecks.RowRange(rowStart, rowEnd, m);
        ForwardCore(a, b, bias, c, m, n, k, rowStart, rowEnd);
    }

    /// <summary>BP2 for a batch: C[m×n] = A[m×k] · B[k×n] (A = Δˡ⁺¹, B = wˡ⁺¹, row i of C = (wˡ⁺¹)ᵀ δ for example i).</summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.Multiply(a, b, c, m, n, k);
        MultiplyColumnsCore(a, b, c, m, n, k, 0, n);
    }

    /// <summary>As <see cref="Multiply{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int)"/>, for columns [colStart, colEnd) of C only.</summary>
    internal static void MultiplyColumns<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, int colStart, int colEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.Multiply(a, b, c, m, n, k);
        GemmChecks.ColumnRange(colStart, colEnd, n);
        MultiplyColumnsCore(a, b, c, m, n, k, colStart, colEnd);
    }

    /// <summary>
    /// BP4 for a batch: C[n×k] = beta·C + alpha · A[m×n]ᵀ · B[m×k] (A = Δˡ, B = activations of layer l−1).
    /// beta = 0, alpha = 1 gives ∇w = Σₓ δˣ (aˣ)ᵀ; beta = 1, alpha = −η/m is the SGD update of w without
    /// materialising ∇w. With beta = 0, C is not read (it may hold anything, NaN included).
    /// </summary>
    public static void MultiplyTransposedAAccumulate<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.MultiplyTransposedAAccumulate(a, b, c, m, n, k);
        TransposedACore(a, b, c, m, n, k, alpha, beta, 0, n);
    }

    /// <summary>As <see cref="MultiplyTransposedAAccumulate{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int, T, T)"/>, for rows [rowStart, rowEnd) of C (neurons) only.</summary>
    internal static void MultiplyTransposedAAccumulate<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, T alpha, T beta, int rowStart, int rowEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.MultiplyTransposedAAccumulate(a, b, c, m, n, k);
        GemmChecks.RowRange(rowStart, rowEnd, n);
        TransposedACore(a, b, c, m, n, k, alpha, beta, rowStart, rowEnd);
    }

    /// <summary>Column sums, for BP3 over a batch: sum[n] = beta·sum + alpha · Σᵢ A[i, :] (A is m×n). With beta = 0, sum is not read.</summary>
    public static void SumRowsAccumulate<T>(ReadOnlySpan<T> a, Span<T> sum, int m, int n, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.SumRowsAccumulate(a, sum, m, n);
        SumRowsCore(a, sum, m, n, alpha, beta);
    }

    /// <summary>The width in bits of the vectors the products run on for <typeparamref name="T"/> on this machine (0: the scalar code).</summary>
    public static int VectorBits<T>() where T : unmanaged => Simd.Width<T>();

    /// <summary>Lanes of the vectors the kernels run for <typeparamref name="T"/> here (1: the scalar code).</summary>
    internal static int Lanes<T>() where T : unmanaged => Simd.Lanes<T>();

    /// <summary>Fewest rows (examples) for which the forward product takes the broadcast form (<see cref="ForwardBroadcasts{T}"/>).</summary>
    internal const int ForwardBroadcastMinRows = 16;

    /// <summary>
    /// Whether the forward product of m rows and n neurons runs in the broadcast form, on a transpose of w packed once and reused
    /// by every row, rather than as dot products. The transpose costs as much as a few rows of the product, so it pays for a
    /// batch: on Zen 5 (one core, 512 bits, n = 64 to 1,000, k = 784 or 1,000) the dot products won at m = 8 (124–149 against
    /// 74–117 GFLOP/s), the two were even at 12 to 16, and from 24 rows on the broadcast form won (48 rows: 172–218 against
    /// 148–160). It needs the transpose in vector shuffles, and a layer at least two vectors wide. Every part of a product split
    /// by columns must then be two vectors wide too (<see cref="ParallelGemm{T}"/> aligns them so). The choice depends on the
    /// shape only, never on the part, so any split computes each element the same way.
    /// </summary>
    internal static bool ForwardBroadcasts<T>(int m, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < ForwardBroadcastMinRows || n < 2 * Lanes<T>()) return false;
        return Simd.Width<T>() switch
        {
            512 => Simd512<T>.TransposesInRegisters,
            256 => Simd256<T>.TransposesInRegisters,
            _ => false,
        };
    }

    private static void ForwardCore<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int m, int n, int k, int rowStart, int rowEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rowEnd <= rowStart || n == 0)
            return;
        ForwardBlock(a, b, bias, c, m, n, k, rowStart, rowEnd, 0, n);
    }

    /// <summary>C[rowStart..rowEnd, colStart..colEnd] of the forward product of m rows: the block one thread computes.</summary>
    internal static void ForwardBlock<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int m, int n, int k, int rowStart, int rowEnd, int colStart, int colEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rowEnd <= rowStart || colEnd <= colStart)
            return;
        if (ForwardBroadcasts<T>(m, n))
        {
            if (k == 0)
                ForwardScalar(a, b, bias, c, n, k, rowStart, rowEnd, colStart, colEnd);
            else if (Simd.Width<T>() == 512)
                SimdGemm<T, Vector512<T>, Simd512<T>>.ForwardBroadcast(a, b, bias, c, n, k, rowStart, rowEnd, colStart, colEnd);
            else
                SimdGemm<T, Vector256<T>, Simd256<T>>.ForwardBroadcast(a, b, bias, c, n, k, rowStart, rowEnd, colStart, colEnd);
        }
        else if (Lanes<T>() > 1 && k >= Lanes<T>())
        {
            if (Simd.Width<T>() == 512)
                SimdGemm<T, Vector512<T>, Simd512<T>>.ForwardDots(a, b, bias, c, n, k, rowStart, rowEnd, colStart, colEnd);
            else if (Simd.Width<T>() == 256)
                SimdGemm<T, Vector256<T>, Simd256<T>>.ForwardDots(a, b, bias, c, n, k, rowStart, rowEnd, colStart, colEnd);
            else
                SimdGemm<T, Vector128<T>, Simd128<T>>.ForwardDots(a, b, bias, c, n, k, rowStart, rowEnd, colStart, colEnd);
        }
        else
            ForwardScalar(a, b, bias, c, n, k, rowStart, rowEnd, colStart, colEnd);
    }

    private static void MultiplyColumnsCore<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, int colStart, int colEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Row i of C is Σ_p A[i,p] · B[p,:]: the broadcast form with a(r,p) = A[r, p], over columns [colStart, colEnd) of B and C.
        int cols = colEnd - colStart;
        if (m == 0 || cols <= 0)
            return;
        Broadcast(a, k, 1, k == 0 ? b : b.Slice(colStart), n, c.Slice(colStart), n, m, cols, k, T.One, T.Zero);
    }

    internal static void TransposedACore<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, T alpha, T beta, int rowStart, int rowEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Row j of C is beta·C[j,:] + alpha · Σ_i A[i,j] · B[i,:]: the broadcast form with a(r,p) = A[p, rowStart + r].
        int rows = rowEnd - rowStart;
        if (rows <= 0 || k == 0)
            return;
        Broadcast(m == 0 ? a : a.Slice(rowStart), 1, n, b, k, c.Slice(rowStart * k, rows * k), k, rows, k, m, alpha, beta);
    }

    /// <summary>
    /// C[rows×cols] (row stride ldc) = beta·C + alpha · Σ_{p&lt;depth} a(r,p) · B[p, :], where a(r,p) = a[r·aRow + p·aP]
    /// and B has row stride ldb. Both BP2 and BP4 are this shape; only the strides of A differ.
    /// </summary>
    private static void Broadcast<T>(ReadOnlySpan<T> a, int aRow, int aP, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int rows, int cols, int depth, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (depth == 0)
        {
            ScaleRows(c, ldc, rows, cols, beta);
            return;
        }
        if (Lanes<T>() > 1 && cols >= Lanes<T>())
        {
            if (Simd.Width<T>() == 512)
                SimdGemm<T, Vector512<T>, Simd512<T>>.Broadcast(a, aRow, aP, b, ldb, c, ldc, rows, cols, depth, alpha, beta);
            else if (Simd.Width<T>() == 256)
                SimdGemm<T, Vector256<T>, Simd256<T>>.Broadcast(a, aRow, aP, b, ldb, c, ldc, rows, cols, depth, alpha, beta);
            else
                SimdGemm<T, Vector128<T>, Simd128<T>>.Broadcast(a, aRow, aP, b, ldb, c, ldc, rows, cols, depth, alpha, beta);
        }
        else
            BroadcastScalar(a, aRow, aP, b, ldb, c, ldc, rows, cols, depth, alpha, beta);
    }

    private static void SumRowsCore<T>(ReadOnlySpan<T> a, Span<T> sum, int m, int n, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0)
            return;
        if (m == 0)
            ScaleRows(sum, n, 1, n, beta);
        else if (Lanes<T>() > 1 && n >= Lanes<T>())
        {
            if (Simd.Width<T>() == 512)
                SimdGemm<T, Vector512<T>, Simd512<T>>.SumRows(a, sum, m, n, alpha, beta);
            else if (Simd.Width<T>() == 256)
                SimdGemm<T, Vector256<T>, Simd256<T>>.SumRows(a, sum, m, n, alpha, beta);
            else
                SimdGemm<T, Vector128<T>, Simd128<T>>.SumRows(a, sum, m, n, alpha, beta);
        }
        else
            SumRowsScalar(a, sum, m, n, alpha, beta);
    }

    /// <summary>C[r, :cols] = beta·C[r, :cols] for each row (beta = 0 clears without reading).</summary>
    internal static void ScaleRows<T>(Span<T> c, int ldc, int rows, int cols, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            Span<T> row = c.Slice(r * ldc, cols);
            if (beta == T.Zero)
                row.Clear();
            else if (beta != T.One)
                foreach (ref T x in row)
                    x *= beta;
        }
    }
}
