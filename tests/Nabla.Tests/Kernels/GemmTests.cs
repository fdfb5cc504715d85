using System.Numerics;
using Nabla.Kernels;

namespace Nabla.Tests.Kernels;

public class GemmTests
{
    private static readonly int[] Sizes = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 784];

    /// <summary>
    /// (m, n, k) triples covering every size in every position without the full 12³ product: a Latin-square
    /// style pairing (each size meets several partners in each position), capped so no product is huge.
    /// </summary>
    public static IEnumerable<object[]> Shapes()
    {
        var seen = new HashSet<(int, int, int)>();
        int s = Sizes.Length;
        for (int i = 0; i < s; i++)
        {
            foreach (int step in new[] { 0, 1, 5, 7 })
            {
                int m = Sizes[i], n = Sizes[(i + step) % s], k = Sizes[(i + 2 * step + 3) % s];
                // Keep it fast: at most one dimension at 784 unless it is the depth.
                if ((long)m * n * k > 784L * 33 * 33) n = Math.Min(n, 33);
                if ((long)m * n * k > 784L * 33 * 33) m = Math.Min(m, 17);
                if (seen.Add((m, n, k)))
                    yield return [m, n, k];
            }
        }
        foreach (var t in new[] { (10, 30, 784), (10, 10, 30), (10, 100, 784), (10, 10, 100), (100, 33, 784), (13, 260, 5), (5, 13, 260), (70, 40, 1000), (0, 5, 7), (5, 0, 7), (5, 7, 0), (1, 1, 1) }.Concat(LargeShapes))
            if (seen.Add(t))
                yield return [t.Item1, t.Item2, t.Item3];
    }

    /// <summary>
    /// Shapes of over 2 M multiply-adds whose depth straddles the kernels' 256-deep blocks (255, 256, 257, 513) and whose width
    /// leaves every remainder against 16- and 8-wide tiles (79, 80, 83, 129, 177, 561), m leaving 1, 4 or 5 rows of a 6-row tile.
    /// </summary>
    internal static readonly (int, int, int)[] LargeShapes =
        [(100, 79, 257), (100, 80, 257), (61, 129, 256), (97, 83, 255), (40, 100, 513), (23, 177, 513), (7, 561, 513)];

    [Fact]
    public void ShapesCoverEverySizeInEveryPosition()
    {
        var shapes = Shapes().Select(o => ((int)o[0], (int)o[1], (int)o[2])).ToList();
        foreach (int size in Sizes)
        {
            Assert.Contains(shapes, t => t.Item1 == size);
            Assert.Contains(shapes, t => t.Item2 == size);
            Assert.Contains(shapes, t => t.Item3 == size);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyTransposedAddBias_MatchesReference(int m, int n, int k)
    {
        CheckForward<float>(m, n, k, 1e-4);
        CheckForward<double>(m, n, k, 1e-12);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Multiply_MatchesReference(int m, int n, int k)
    {
        CheckMultiply<float>(m, n, k, 1e-4);
        CheckMultiply<double>(m, n, k, 1e-12);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyTransposedAAccumulate_MatchesReference(int m, int n, int k)
    {
        foreach (var (alpha, beta) in new[] { (1.0, 0.0), (1.0, 1.0), (-0.3, 0.0), (-0.3, 1.0), (0.5, 0.25) })
        {
            CheckTransposedA<float>(m, n, k, alpha, beta, 1e-4);
            CheckTransposedA<double>(m, n, k, alpha, beta, 1e-12);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SumRowsAccumulate_MatchesReference(int m, int n, int k)
    {
        _ = k;
        foreach (var (alpha, beta) in new[] { (1.0, 0.0), (1.0, 1.0), (-0.3, 0.0), (-0.3, 1.0) })
        {
            CheckSumRows<float>(m, n, alpha, beta, 1e-4);
            CheckSumRows<double>(m, n, alpha, beta, 1e-12);
        }
    }

    [Fact]
    public void RowAndColumnRanges_ComposeToTheWholeProduct()
    {
        const int m = 13, n = 37, k = 29;
        var rng = new Random(7);
        float[] a = Random<float>(rng, m * k), b = Random<float>(rng, n * k), bias = Random<float>(rng, n), bk = Random<float>(rng, k * n);
        float[] whole = new float[m * n], parts = new float[m * n];

        Gemm.MultiplyTransposedAddBias<float>(a, b, bias, whole, m, n, k);
        foreach (var (s, e) in new[] { (0, 5), (5, 6), (6, 6), (6, 13) })
            Gemm.MultiplyTransposedAddBias<float>(a, b, bias, parts, m, n, k, s, e);
        Assert.Equal(whole, parts);

        // Column ranges of Δ·w, each at least one vector wide (narrower ones take the scalar code, without FMA): one vector, two,
        // an empty one, and a wide one ending in a part tile.
        int w = Gemm.Lanes<float>();
        Gemm.Multiply<float>(a, bk, whole, m, n, k);
        Array.Clear(parts);
        int wide = Math.Min(3 * w, n); // 512-bit vectors: 3w is past n
        foreach (var (s, e) in new[] { (0, w), (w, wide), (wide, wide), (wide, n) })
            Gemm.MultiplyColumns<float>(a, bk, parts, m, n, k, s, e);
        Assert.Equal(whole, parts);

        // Aᵀ·B: A is m×n (13×37), B is m×k (13×29), C is n×k, rows of C are neurons.
        float[] at = Random<float>(rng, m * n), bt = Random<float>(rng, m * k);
        float[] cw = Random<float>(rng, n * k), cp = (float[])cw.Clone();
        Gemm.MultiplyTransposedAAccumulate<float>(at, bt, cw, m, n, k, -0.3f, 1f);
        foreach (var (s, e) in new[] { (0, 9), (9, 10), (10, 37) })
            Gemm.MultiplyTransposedAAccumulate<float>(at, bt, cp, m, n, k, -0.3f, 1f, s, e);
        Assert.Equal(cw, cp);

        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MultiplyColumns<float>(a, bk, parts, m, n, k, 5, 38));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MultiplyColumns<float>(a, bk, parts, m, n, k, 6, 5));
    }

    [Fact]
    public void BetaZero_DoesNotReadTheOutput()
    {
        const int m = 10, n = 30, k = 33;
        var rng = new Random(3);
        double[] a = Random<double>(rng, m * n), b = Random<double>(rng, m * k);
        double[] c = new double[n * k], expected = new double[n * k];
        Array.Fill(c, double.NaN);
        Gemm.MultiplyTransposedAAccumulate<double>(a, b, c, m, n, k, 1.0, 0.0);
        ReferenceGemm.MultiplyTransposedAAccumulate<double>(a, b, expected, m, n, k, 1.0, 0.0);
        AssertClose(expected, c, Magnitude(a, b, m, n, k), 1e-12);

        double[] sum = new double[k];
        Array.Fill(sum, double.NaN);
        Gemm.SumRowsAccumulate<double>(b, sum, m, k, 1.0, 0.0);
        Assert.DoesNotContain(sum, double.IsNaN);
    }

    [Fact]
    public void MismatchedLengths_Throw()
    {
        float[] a = new float[6], b = new float[12], c = new float[8], bias = new float[4];
        Gemm.MultiplyTransposedAddBias<float>(a, b, bias, c, 2, 4, 3);
        Gemm.MultiplyTransposedAddBias<float>(a, b, ReadOnlySpan<float>.Empty, c, 2, 4, 3);
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAddBias<float>(a.AsSpan(1), b, bias, c, 2, 4, 3));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAddBias<float>(a, b.AsSpan(1), bias, c, 2, 4, 3));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAddBias<float>(a, b, bias, c.AsSpan(1), 2, 4, 3));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAddBias<float>(a, b, bias.AsSpan(1), c, 2, 4, 3));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAddBias<float>(a, b, bias, new float[9], 2, 4, 3));
        Assert.ThrowsAny<ArgumentException>(() => Gemm.MultiplyTransposedAddBias<float>(a, b, bias, c, -2, 4, 3));

        float[] bk = new float[12]; // k×n = 3×4
        Gemm.Multiply<float>(a, bk, c, 2, 4, 3);
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(a, bk.AsSpan(2), c, 2, 4, 3));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(a, bk, c.AsSpan(0, 7), 2, 4, 3));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[7], bk, c, 2, 4, 3));

        // Aᵀ·B: A m×n = 2×4, B m×k = 2×3, C n×k = 4×3
        float[] at = new float[8], bt = new float[6], ct = new float[12];
        Gemm.MultiplyTransposedAAccumulate<float>(at, bt, ct, 2, 4, 3, 1f, 0f);
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAAccumulate<float>(at.AsSpan(1), bt, ct, 2, 4, 3, 1f, 0f));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAAccumulate<float>(at, bt.AsSpan(1), ct, 2, 4, 3, 1f, 0f));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedAAccumulate<float>(at, bt, ct.AsSpan(1), 2, 4, 3, 1f, 0f));

        Gemm.SumRowsAccumulate<float>(at, new float[4], 2, 4, 1f, 0f);
        Assert.Throws<ArgumentException>(() => Gemm.SumRowsAccumulate<float>(at, new float[3], 2, 4, 1f, 0f));
        Assert.Throws<ArgumentException>(() => Gemm.SumRowsAccumulate<float>(at.AsSpan(1), new float[4], 2, 4, 1f, 0f));

        // Output overlapping an input.
        float[] shared = new float[20];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(shared.AsSpan(0, 6), bk, shared.AsSpan(4, 8), 2, 4, 3));

        // The reference validates the same way.
        Assert.Throws<ArgumentException>(() => ReferenceGemm.Multiply<float>(a, bk, c.AsSpan(1), 2, 4, 3));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void CheckForward<T>(int m, int n, int k, double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(HashCode.Combine(m, n, k, typeof(T).Name));
        T[] a = Random<T>(rng, m * k), b = Random<T>(rng, n * k), bias = Random<T>(rng, n);
        foreach (bool withBias in new[] { true, false })
        {
            ReadOnlySpan<T> bs = withBias ? bias : ReadOnlySpan<T>.Empty;
            T[] expected = new T[m * n], actual = Garbage<T>(m * n);
            ReferenceGemm.MultiplyTransposedAddBias(a, b, bs, expected, m, n, k);
            Gemm.MultiplyTransposedAddBias(a, b, bs, actual, m, n, k);
            // Magnitude Σ|a||b| (+|bias|), the scale the rounding error is relative to.
            T[] mag = new T[m * n];
            ReferenceGemm.MultiplyTransposedAddBias(Abs(a), Abs(b), withBias ? Abs(bias) : ReadOnlySpan<T>.Empty, mag, m, n, k);
            AssertClose(expected, actual, mag, tol);
        }
    }

    private static void CheckMultiply<T>(int m, int n, int k, double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(HashCode.Combine(m, n, k, typeof(T).Name, 2));
        T[] a = Random<T>(rng, m * k), b = Random<T>(rng, k * n);
        T[] expected = new T[m * n], actual = Garbage<T>(m * n), mag = new T[m * n];
        ReferenceGemm.Multiply(a, b, expected, m, n, k);
        Gemm.Multiply(a, b, actual, m, n, k);
        ReferenceGemm.Multiply(Abs(a), Abs(b), mag, m, n, k);
        AssertClose(expected, actual, mag, tol);
    }

    private static void CheckTransposedA<T>(int m, int n, int k, double alpha, double beta, double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(HashCode.Combine(m, n, k, typeof(T).Name, alpha, beta));
        T ta = T.CreateChecked(alpha), tb = T.CreateChecked(beta);
        T[] a = Random<T>(rng, m * n), b = Random<T>(rng, m * k), c0 = Random<T>(rng, n * k);
        T[] expected = (T[])c0.Clone(), actual = beta == 0 ? Garbage<T>(n * k) : (T[])c0.Clone();
        ReferenceGemm.MultiplyTransposedAAccumulate(a, b, expected, m, n, k, ta, tb);
        Gemm.MultiplyTransposedAAccumulate(a, b, actual, m, n, k, ta, tb);
        T[] mag = Abs(c0);
        ReferenceGemm.MultiplyTransposedAAccumulate(Abs(a), Abs(b), mag, m, n, k, T.Abs(ta), T.Abs(tb));
        AssertClose(expected, actual, mag, tol);
    }

    private static void CheckSumRows<T>(int m, int n, double alpha, double beta, double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(HashCode.Combine(m, n, typeof(T).Name, alpha, beta));
        T ta = T.CreateChecked(alpha), tb = T.CreateChecked(beta);
        T[] a = Random<T>(rng, m * n), s0 = Random<T>(rng, n);
        T[] expected = (T[])s0.Clone(), actual = beta == 0 ? Garbage<T>(n) : (T[])s0.Clone();
        ReferenceGemm.SumRowsAccumulate(a, expected, m, n, ta, tb);
        Gemm.SumRowsAccumulate(a, actual, m, n, ta, tb);
        T[] mag = Abs(s0);
        ReferenceGemm.SumRowsAccumulate(Abs(a), mag, m, n, T.Abs(ta), T.Abs(tb));
        AssertClose(expected, actual, mag, tol);
    }

    private static double[] Magnitude(double[] a, double[] b, int m, int n, int k)
    {
        double[] mag = new double[n * k];
        ReferenceGemm.MultiplyTransposedAAccumulate<double>(Abs(a), Abs(b), mag, m, n, k, 1.0, 0.0);
        return mag;
    }

    private static void AssertClose<T>(T[] expected, T[] actual, T[] magnitude, double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected[i]), x = double.CreateChecked(actual[i]);
            double bound = tol * (1e-30 + double.CreateChecked(magnitude[i]));
            if (!(Math.Abs(e - x) <= bound))
                Assert.Fail($"element {i}: expected {e:R}, got {x:R} (|diff| {Math.Abs(e - x):E3} > {bound:E3})");
        }
    }

    private static T[] Random<T>(Random rng, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new T[count];
        for (int i = 0; i < count; i++)
            r[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        return r;
    }

    /// <summary>An output buffer full of NaN: catches kernels that read C when they must not, or skip elements.</summary>
    private static T[] Garbage<T>(int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new T[count];
        Array.Fill(r, T.NaN);
        return r;
    }

    private static T[] Abs<T>(T[] x) where T : unmanaged, IFloatingPointIeee754<T> => x.Select(T.Abs).ToArray();
}
