using System.Numerics;

namespace Nabla.Kernels;

/// <summary>
/// Plain triple-loop versions of the <see cref="Gemm"/> kernels: obvious code, accumulation in the element type.
/// They are the oracle the fast kernels are tested against; do not optimise them.
/// </summary>
public static class ReferenceGemm
{
    /// <summary>C[m×n] = A[m×k] · B[n×k]ᵀ + bias[n] (bias added to every row; an empty bias means none).</summary>
    public static void MultiplyTransposedAddBias<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.MultiplyTransposedAddBias(a, b, bias, c, m, n, k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                    sum += a[i * k + p] * b[j * k + p];
                c[i * n + j] = bias.IsEmpty ? sum : sum + bias[j];
            }
        }
    }

    /// <summary>C[m×n] = A[m×k] · B[k×n].</summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.Multiply(a, b, c, m, n, k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                    sum += a[i * k + p] * b[p * n + j];
                c[i * n + j] = sum;
            }
        }
    }

    /// <summary>C[n×k] = beta·C + alpha · A[m×n]ᵀ · B[m×k]. With beta = 0, C is not read.</summary>
    public static void MultiplyTransposedAAccumulate<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.MultiplyTransposedAAccumulate(a, b, c, m, n, k);
        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < k; p++)
            {
                T sum = T.Zero;
                for (int i = 0; i < m; i++)
                    sum += a[i * n + j] * b[i * k + p];
                T old = beta == T.Zero ? T.Zero : beta * c[j * k + p];
                c[j * k + p] = old + alpha * sum;
            }
        }
    }

    /// <summary>sum[n] = beta·sum + alpha · Σ_i A[i, :] (A is m×n). With beta = 0, sum is not read.</summary>
    public static void SumRowsAccumulate<T>(ReadOnlySpan<T> a, Span<T> sum, int m, int n, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmChecks.SumRowsAccumulate(a, sum, m, n);
        for (int j = 0; j < n; j++)
        {
            T s = T.Zero;
            for (int i = 0; i < m; i++)
                s += a[i * n + j];
            T old = beta == T.Zero ? T.Zero : beta * sum[j];
            sum[j] = old + alpha * s;
        }
    }
}
