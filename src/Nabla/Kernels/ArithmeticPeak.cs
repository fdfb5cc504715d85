using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>A measured arithmetic peak: GFLOP/s of fused multiply-adds, with how it was measured.</summary>
/// <param name="Gflops">The best run's GFLOP/s (an FMA counts 2 flops per lane).</param>
/// <param name="Threads">Threads that ran the kernel at once, one per core.</param>
/// <param name="VectorBits">The width of the vectors of the best run.</param>
/// <param name="Runs">Runs measured; the best is kept (a run can only be slowed down, never sped up, by what else runs).</param>
/// <param name="RunSeconds">About how long each run lasted.</param>
public sealed record ArithmeticPeakResult(double Gflops, int Threads, int VectorBits, int Runs, double RunSeconds);

/// <summary>
/// This machine's floating-point limit, measured rather than assumed: each thread runs a loop of independent fused
/// multiply-adds on 12 vector accumulators that never leave the registers (no loads, no stores: nothing but the FMA pipes
/// limits it), all threads at once, several runs, the best kept. Both the vector width the kernels use (<see cref="Vector{T}"/>)
/// and, where the hardware has them, 512-bit vectors are tried, so the peak is the machine's, not only what Nabla's kernels can reach.
/// Clock speeds change with load and temperature, so the figure is measured, not computed from a data sheet.
/// </summary>
public static class ArithmeticPeak
{
    private const int Accumulators = 12; // Zen 3/4 and recent Intel cores: 2 FMA pipes × latency 4 need at least 8 chains in flight

    /// <summary>Measures <typeparamref name="T"/> (float or double) FMA throughput on <paramref name="threads"/> threads at once.</summary>
    /// <param name="threads">Threads running at once (1 for one core; <see cref="Environment.ProcessorCount"/> for all).</param>
    /// <param name="runs">Runs to measure; the best is kept.</param>
    /// <param name="runSeconds">The length of each run.</param>
    public static ArithmeticPeakResult Measure<T>(int threads, int runs = 5, double runSeconds = 0.1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        if (!(runSeconds > 0)) throw new ArgumentOutOfRangeException(nameof(runSeconds), runSeconds, "a positive duration");
        var best = Measure<T>(threads, runs, runSeconds, wide: false);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && Vector512<T>.Count > Vector<T>.Count)
        {
            var wide = Measure<T>(threads, runs, runSeconds, wide: true);
            if (wide.Gflops > best.Gflops) best = wide;
        }
        return best;
    }

    private static ArithmeticPeakResult Measure<T>(int threads, int runs, double runSeconds, bool wide) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = wide ? Vector512<T>.Count : Vector<T>.Count;
        // Calibrate: iterations for about runSeconds on one thread (a short first call also compiles the loop).
        long iterations = 1 << 12;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            Run<T>(iterations, wide);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (seconds > runSeconds / 8 || iterations > 1L << 40)
            {
                iterations = Math.Max(1, (long)(iterations * runSeconds / seconds));
                break;
            }
            iterations *= 4;
        }
        double flop = 2.0 * Accumulators * lanes * iterations * threads;
        double bestSeconds = double.PositiveInfinity;
        for (int r = 0; r < runs; r++)
            bestSeconds = Math.Min(bestSeconds, TimeTogether<T>(threads, iterations, wide));
        return new ArithmeticPeakResult(flop / bestSeconds / 1e9, threads, lanes * Unsafe.SizeOf<T>() * 8, runs, runSeconds);
    }

    /// <summary>Wall time from a common start until the last of <paramref name="threads"/> threads finishes its loop.</summary>
    private static double TimeTogether<T>(int threads, long iterations, bool wide) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (threads == 1)
        {
            long start = Stopwatch.GetTimestamp();
            Run<T>(iterations, wide);
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        using var ready = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                ready.SignalAndWait();
                Run<T>(iterations, wide);
            }) { IsBackground = true, Name = "Nabla peak" };
            workers[t].Start();
        }
        ready.SignalAndWait();
        long begin = Stopwatch.GetTimestamp();
        foreach (var worker in workers) worker.Join();
        return Stopwatch.GetElapsedTime(begin).TotalSeconds;
    }

    private static void Run<T>(long iterations, bool wide) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = wide ? Loop512<T>(iterations) : Loop<T>(iterations);
        if (T.IsNaN(sum)) throw new InvalidOperationException("the peak loop's sums became NaN"); // reads the result, so the loop cannot be dropped
    }

    // acc → acc·x + y (fused where the hardware has FMA, as in the kernels) with x just below 1: the sums stay near y/(1 − x), far from overflow and from subnormals.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T Loop<T>(long iterations) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = new Vector<T>(T.CreateChecked(0.999));
        var y = new Vector<T>(T.CreateChecked(0.001));
        Vector<T> a0 = Vector<T>.Zero, a1 = Vector<T>.One, a2 = a1 + a1, a3 = a2 + a1, a4 = a3 + a1, a5 = a4 + a1;
        Vector<T> a6 = a5 + a1, a7 = a6 + a1, a8 = a7 + a1, a9 = a8 + a1, a10 = a9 + a1, a11 = a10 + a1;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Gemm.MulAdd(a0, x, y); a1 = Gemm.MulAdd(a1, x, y);
            a2 = Gemm.MulAdd(a2, x, y); a3 = Gemm.MulAdd(a3, x, y);
            a4 = Gemm.MulAdd(a4, x, y); a5 = Gemm.MulAdd(a5, x, y);
            a6 = Gemm.MulAdd(a6, x, y); a7 = Gemm.MulAdd(a7, x, y);
            a8 = Gemm.MulAdd(a8, x, y); a9 = Gemm.MulAdd(a9, x, y);
            a10 = Gemm.MulAdd(a10, x, y); a11 = Gemm.MulAdd(a11, x, y);
        }
        return Vector.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T Loop512<T>(long iterations) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = Vector512.Create(T.CreateChecked(0.999));
        var y = Vector512.Create(T.CreateChecked(0.001));
        Vector512<T> a0 = Vector512<T>.Zero, a1 = Vector512<T>.One, a2 = a1 + a1, a3 = a2 + a1, a4 = a3 + a1, a5 = a4 + a1;
        Vector512<T> a6 = a5 + a1, a7 = a6 + a1, a8 = a7 + a1, a9 = a8 + a1, a10 = a9 + a1, a11 = a10 + a1;
        for (long i = 0; i < iterations; i++)
        {
            a0 = MulAdd(a0, x, y); a1 = MulAdd(a1, x, y);
            a2 = MulAdd(a2, x, y); a3 = MulAdd(a3, x, y);
            a4 = MulAdd(a4, x, y); a5 = MulAdd(a5, x, y);
            a6 = MulAdd(a6, x, y); a7 = MulAdd(a7, x, y);
            a8 = MulAdd(a8, x, y); a9 = MulAdd(a9, x, y);
            a10 = MulAdd(a10, x, y); a11 = MulAdd(a11, x, y);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> MulAdd<T>(Vector512<T> a, Vector512<T> x, Vector512<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.As<T, float>(), x.As<T, float>(), y.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.As<T, double>(), x.As<T, double>(), y.As<T, double>()).As<double, T>();
        return a * x + y;
    }
}
