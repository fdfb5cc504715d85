using System.Numerics;
using Nabla.Kernels;

namespace Nabla.Tests.Kernels;

public class ParallelGemmTests
{
    /// <summary>
    /// The GEMM test shapes plus some big enough to be split across threads (m·n·k ≥ the parallel threshold), each once:
    /// GemmTests already has some of them, and xUnit skips a repeated row with a warning.
    /// </summary>
    public static IEnumerable<object[]> Shapes() =>
        GemmTests.Shapes().Select(o => ((int)o[0], (int)o[1], (int)o[2]))
            .Concat([(10, 30, 784), (7, 17, 784), (9, 100, 784), (16, 33, 784), (1, 784, 784), (17, 784, 15), (8, 9, 784),
                // Big enough to be cut into pieces taken in turn (forward in the broadcast form, BP2), with part tiles at the ends.
                (64, 330, 256), (48, 520, 200)])
            .Distinct()
            .Select(t => new object[] { t.Item1, t.Item2, t.Item3 });

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryProductSplitAcrossThreadsEqualsTheSingleThreadedKernelBitForBitAndMatchesTheReference(int m, int n, int k)
    {
        foreach (int threads in new[] { 2, 3 })
        {
            using var context = new ComputeContext(threads);
            // No size threshold: every product that has enough neurons to share out is split, however small, so the comparison
            // with the one-thread kernel is between two different computations (the default threshold kept small shapes serial).
            Check<float>(new ParallelGemm<float>(context, minParallelWork: 0), m, n, k, 1e-4);
            Check<double>(new ParallelGemm<double>(context, minParallelWork: 0), m, n, k, 1e-12);
        }
    }

    [Fact]
    public void Products_below_the_threshold_stay_on_the_calling_thread_and_larger_ones_are_split()
    {
        using var context = new ComputeContext(2);
        var gemm = new ParallelGemm<float>(context);
        gemm.MultiplyTransposedAddBias(new float[2 * 8], new float[4 * 8], new float[4], new float[2 * 4], 2, 4, 8);
        Assert.Equal(1, gemm.LastPieces);
        gemm.MultiplyTransposedAddBias(new float[10 * 784], new float[30 * 784], new float[30], new float[10 * 30], 10, 30, 784);
        Assert.True(gemm.LastPieces >= 2);
    }

    [Fact]
    public void Batches_cut_into_more_pieces_than_threads_give_the_single_threaded_products()
    {
        // 64 × 330 × 256 = 5.4 M multiply-adds: two pieces per thread of 2 threads, each a run of whole two-vector tiles.
        const int m = 64, n = 330, k = 256;
        using var context = new ComputeContext(2);
        var gemm = new ParallelGemm<float>(context);
        var rng = new Random(5);
        float[] a = Random<float>(rng, m * k), w = Random<float>(rng, n * k), bias = Random<float>(rng, n), wk = Random<float>(rng, k * n);
        float[] parallel = new float[m * n], single = new float[m * n];
        gemm.MultiplyTransposedAddBias(a, w, bias, parallel, m, n, k);
        Assert.True(gemm.LastPieces > 2, $"the forward product ran in {gemm.LastPieces} pieces");
        Gemm.MultiplyTransposedAddBias<float>(a, w, bias, single, m, n, k);
        Assert.Equal(single, parallel);

        gemm.Multiply(a, wk, parallel, m, n, k);
        Assert.True(gemm.LastPieces > 2, $"BP2 ran in {gemm.LastPieces} pieces");
        Gemm.Multiply<float>(a, wk, single, m, n, k);
        Assert.Equal(single, parallel);
    }

    // The split: the products are cut along n (neurons) in units of `align`; fewer units than threads cannot be split.
    private static bool Splits(int n, int align, int threads) => n / align >= threads;

    private static void Check<T>(ParallelGemm<T> gemm, int m, int n, int k, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int threads = gemm.Context.Threads;
        var rng = new Random(m * 10007 + n * 101 + k);
        T[] a = Random<T>(rng, m * k), b = Random<T>(rng, n * k), bias = Random<T>(rng, n);
        T[] parallel = new T[m * n], single = new T[m * n], reference = new T[m * n];
        gemm.MultiplyTransposedAddBias(a, b, bias, parallel, m, n, k);
        // In the broadcast form (a batch of rows), parts are whole tiles of two vectors.
        AssertSplitWherePossible(gemm, m * n * k, Splits(n, Gemm.ForwardBroadcasts<T>(m, n) ? 2 * Gemm.Lanes<T>() : 2, threads));
        Gemm.MultiplyTransposedAddBias<T>(a, b, bias, single, m, n, k);
        ReferenceGemm.MultiplyTransposedAddBias<T>(a, b, bias, reference, m, n, k);
        Assert.Equal(single, parallel);
        AssertClose(reference, parallel, k, tolerance);

        T[] bk = Random<T>(rng, k * n);
        gemm.Multiply(a, bk, parallel, m, n, k);
        AssertSplitWherePossible(gemm, m * n * k, Splits(n, 2 * Gemm.Lanes<T>(), threads));
        Gemm.Multiply<T>(a, bk, single, m, n, k);
        ReferenceGemm.Multiply<T>(a, bk, reference, m, n, k);
        Assert.Equal(single, parallel);
        AssertClose(reference, parallel, k, tolerance);

        // Aᵀ·B with A m×n and B m×k accumulated into C n×k: the update of the weights.
        T[] at = Random<T>(rng, m * n), bt = Random<T>(rng, m * k), c0 = Random<T>(rng, n * k);
        T[] cp = (T[])c0.Clone(), cs = (T[])c0.Clone(), cr = (T[])c0.Clone();
        T alpha = T.CreateChecked(-0.3), beta = T.One;
        gemm.MultiplyTransposedAAccumulate(at, bt, cp, m, n, k, alpha, beta);
        AssertSplitWherePossible(gemm, m * n * k, Splits(n, 2, threads));
        Gemm.MultiplyTransposedAAccumulate<T>(at, bt, cs, m, n, k, alpha, beta);
        ReferenceGemm.MultiplyTransposedAAccumulate<T>(at, bt, cr, m, n, k, alpha, beta);
        Assert.Equal(cs, cp);
        AssertClose(cr, cp, m + 1, tolerance);
    }

    private static void AssertSplitWherePossible<T>(ParallelGemm<T> gemm, int work, bool splittable) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (splittable && work > 0) Assert.True(gemm.LastPieces >= 2, $"a splittable product ran in {gemm.LastPieces} piece(s)");
    }

    [Fact]
    public void MismatchedLengthsThrowBeforeAnyThreadStarts()
    {
        using var context = new ComputeContext(2);
        var gemm = new ParallelGemm<float>(context);
        Assert.Throws<ArgumentException>(() => gemm.MultiplyTransposedAddBias(new float[10 * 784], new float[30 * 784], new float[30], new float[299], 10, 30, 784));
        Assert.Throws<ArgumentException>(() => gemm.Multiply(new float[10 * 30], new float[30 * 784], new float[10 * 783], 10, 784, 30));
        Assert.Throws<ArgumentException>(() => gemm.MultiplyTransposedAAccumulate(new float[10 * 30], new float[10 * 784], new float[30], 10, 30, 784, 1f, 1f));
    }

    internal static T[] Random<T>(Random rng, int count) where T : unmanaged, IFloatingPointIeee754<T> =>
        Enumerable.Range(0, count).Select(_ => T.CreateChecked(rng.NextDouble() * 2 - 1)).ToArray();

    // Entries are sums of `terms` products of numbers in [−1, 1]: the error scales with that count.
    private static void AssertClose<T>(T[] expected, T[] actual, int terms, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected[i]), a = double.CreateChecked(actual[i]);
            Assert.True(Math.Abs(e - a) <= tolerance * Math.Max(1, terms), $"element {i}: expected {e}, got {a}");
        }
    }
}
