using System.Diagnostics;
using BenchmarkDotNet.Running;

namespace Nabla.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["quick", .. var filters])
            Quick(filters);
        else
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }

    /// <summary>
    /// `quick [shape substring…]`: a rough Stopwatch pass over every shape, or those containing one of the substrings (fast
    /// kernel only), printing the best of 5 trials in GFLOP/s; not a substitute for BenchmarkDotNet.
    /// </summary>
    private static void Quick(string[] filters)
    {
        var shapes = typeof(GemmBenchmarks).GetProperty(nameof(GemmBenchmarks.Shape))!
            .GetCustomAttributes(typeof(BenchmarkDotNet.Attributes.ParamsAttribute), false)
            .Cast<BenchmarkDotNet.Attributes.ParamsAttribute>().Single().Values.Cast<string>();
        foreach (string shape in shapes.Where(s => filters.Length == 0 || filters.Any(s.Contains)))
        {
            var bench = new GemmBenchmarks { Shape = shape };
            bench.Setup();
            int[] d = shape.Split(' ')[1].Split('x').Select(int.Parse).ToArray();
            double flops = 2.0 * d[0] * d[1] * d[2];
            int reps = Math.Max(1, (int)(2e9 / flops));
            for (int i = 0; i < reps / 4 + 1; i++) bench.Fast();
            double best = double.MaxValue;
            for (int trial = 0; trial < 5; trial++)
            {
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < reps / 5 + 1; i++) bench.Fast();
                best = Math.Min(best, sw.Elapsed.TotalSeconds / (reps / 5 + 1));
            }
            Console.WriteLine($"{shape,-20} {best * 1e6,10:F2} µs  {flops / best / 1e9,7:F1} GFLOP/s");
        }
    }
}
