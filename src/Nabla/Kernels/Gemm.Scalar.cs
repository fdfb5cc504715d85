using System.Numerics;

namespace Nabla.Kernels;

// Scalar fallback: used when no vector width is hardware accelerated (e.g. DOTNET_EnableHWIntrinsic=0), when T has no
// vector support, and for matrices narrower than one vector. Plain generic math, a few independent accumulators.
public static partial class Gemm
{
    private static void ForwardScalar<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int n, int k, int rowStart, int rowEnd, int colStart, int colEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = rowStart; i < rowEnd; i++)
        {
            ReadOnlySpan<T> ai = a.Slice(i * k, k);
            Span<T> ci = c.Slice(i * n, n);
            for (int j = colStart; j < colEnd; j++)
            {
                T dot = Dot(ai, b.Slice(j * k, k));
                ci[j] = bias.IsEmpty ? dot : dot + bias[j];
            }
        }
    }

    private static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        y = y.Slice(0, x.Length);
        T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
        int p = 0;
        for (; p <= x.Length - 4; p += 4)
        {
            s0 += x[p] * y[p];
            s1 += x[p + 1] * y[p + 1];
            s2 += x[p + 2] * y[p + 2];
            s3 += x[p + 3] * y[p + 3];
        }
        for (; p < x.Length; p++)
            s0 += x[p] * y[p];
        return (s0 + s1) + (s2 + s3);
    }

    private static void BroadcastScalar<T>(ReadOnlySpan<T> a, int aRow, int aP, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int rows, int cols, int depth, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ScaleRows(c, ldc, rows, cols, beta);
        for (int r = 0; r < rows; r++)
        {
            Span<T> cr = c.Slice(r * ldc, cols);
            for (int p = 0; p < depth; p++)
            {
                T s = alpha * a[r * aRow + p * aP];
                ReadOnlySpan<T> bp = b.Slice(p * ldb, cr.Length);
                for (int j = 0; j < bp.Length; j++)
                    cr[j] += s * bp[j];
            }
        }
    }

    private static void SumRowsScalar<T>(ReadOnlySpan<T> a, Span<T> sum, int m, int n, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < sum.Length; j++)
        {
            T s = T.Zero;
            for (int i = 0; i < m; i++)
                s += a[i * n + j];
            sum[j] = beta == T.Zero ? alpha * s : beta * sum[j] + alpha * s;
        }
    }
}
