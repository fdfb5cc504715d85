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
/// limits it), all threads at once, several runs, the best kept, on the widest vectors the processor accelerates (those the
/// kernels run). Clock speeds change with load and temperature, so the figure is measured, not computed from a data sheet.
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
        return Simd.Width<T>() switch
        {
            512 => Measure<T, Vector512<T>, Simd512<T>>(threads, runs, runSeconds),
            256 => Measure<T, Vector256<T>, Simd256<T>>(threads, runs, runSeconds),
            _ => Measure<T, Vector128<T>, Simd128<T>>(threads, runs, runSeconds),
        };
    }

    private static ArithmeticPeakResult Measure<T, TVector, TSimd>(int threads, int runs, double runSeconds)
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : struct where TSimd : ISimd<TVector, T>
    {
        // Calibrate: iterations for about runSeconds on one thread (a short first call also compiles the loop).
        long iterations = 1 << 12;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            Run<T, TVector, TSimd>(iterations);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (seconds > runSeconds / 8 || iterations > 1L << 40)
            {
                iterations = Math.Max(1, (long)(iterations * runSeconds / seconds));
                break;
            }
            iterations *= 4;
        }
        double flop = 2.0 * Accumulators * TSimd.Count * iterations * threads;
        double bestSeconds = double.PositiveInfinity;
        for (int r = 0; r < runs; r++)
            bestSeconds = Math.Min(bestSeconds, TimeTogether<T, TVector, TSimd>(threads, iterations));
        return new ArithmeticPeakResult(flop / bestSeconds / 1e9, threads, TSimd.Count * Unsafe.SizeOf<T>() * 8, runs, runSeconds);
    }

    /// <summary>Wall time from a common start until the last of <paramref name="threads"/> threads finishes its loop.</summary>
    private static double TimeTogether<T, TVector, TSimd>(int threads, long iterations)
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : struct where TSimd : ISimd<TVector, T>
    {
        if (threads == 1)
        {
            long start = Stopwatch.GetTimestamp();
            Run<T, TVector, TSimd>(iterations);
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        using var ready = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                ready.SignalAndWait();
                Run<T, TVector, TSimd>(iterations);
            }) { IsBackground = true, Name = "Nabla peak" };
            workers[t].Start();
        }
        ready.SignalAndWait();
        long begin = Stopwatch.GetTimestamp();
        foreach (var worker in workers) worker.Join();
        return Stopwatch.GetElapsedTime(begin).TotalSeconds;
    }

    private static void Run<T, TVector, TSimd>(long iterations)
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : struct where TSimd : ISimd<TVector, T>
    {
        T sum = Loop<T, TVector, TSimd>(iterations);
        if (T.IsNaN(sum)) throw new InvalidOperationException("the peak loop's sums became NaN"); // reads the result, so the loop cannot be dropped
    }

    // acc → acc·x + y (fused where the hardware has FMA, as in the kernels) with x just below 1: the sums stay near y/(1 − x), far from overflow and from subnormals.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T Loop<T, TVector, TSimd>(long iterations)
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : struct where TSimd : ISimd<TVector, T>
    {
        TVector x = TSimd.Create(T.CreateChecked(0.999)), y = TSimd.Create(T.CreateChecked(0.001)), one = TSimd.Create(T.One);
        TVector a0 = TSimd.Zero, a1 = one, a2 = TSimd.Add(a1, one), a3 = TSimd.Add(a2, one), a4 = TSimd.Add(a3, one), a5 = TSimd.Add(a4, one);
        TVector a6 = TSimd.Add(a5, one), a7 = TSimd.Add(a6, one), a8 = TSimd.Add(a7, one), a9 = TSimd.Add(a8, one), a10 = TSimd.Add(a9, one), a11 = TSimd.Add(a10, one);
        for (long i = 0; i < iterations; i++)
        {
            a0 = TSimd.MulAdd(a0, x, y); a1 = TSimd.MulAdd(a1, x, y);
            a2 = TSimd.MulAdd(a2, x, y); a3 = TSimd.MulAdd(a3, x, y);
            a4 = TSimd.MulAdd(a4, x, y); a5 = TSimd.MulAdd(a5, x, y);
            a6 = TSimd.MulAdd(a6, x, y); a7 = TSimd.MulAdd(a7, x, y);
            a8 = TSimd.MulAdd(a8, x, y); a9 = TSimd.MulAdd(a9, x, y);
            a10 = TSimd.MulAdd(a10, x, y); a11 = TSimd.MulAdd(a11, x, y);
        }
        TVector sum = TSimd.Add(TSimd.Add(TSimd.Add(a0, a1), TSimd.Add(a2, a3)), TSimd.Add(TSimd.Add(a4, a5), TSimd.Add(a6, a7)));
        return TSimd.Sum(TSimd.Add(sum, TSimd.Add(TSimd.Add(a8, a9), TSimd.Add(a10, a11))));
    }
}
