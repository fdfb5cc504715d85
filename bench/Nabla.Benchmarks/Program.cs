using System.Diagnostics;
using BenchmarkDotNet.Running;

namespace Nabla.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["quick", ..])
            Quick();
        else
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }

    /// <summary>`quick`: a rough Stopwatch pass over every shape (fast kernel only) printing GFLOP/s; not a substitute for BenchmarkDotNet.</summary>
    private static void Quick()
    {
        var shapes = typeof(GemmBenchmarks).GetProperty(nameof(GemmBenchmarks.Shape))!
            .GetCustomAttributes(typeof(BenchmarkDotNet.Attributes.ParamsAttribute), false)
            .Cast<BenchmarkDotNet.Attributes.ParamsAttribute>().Single().Values.Cast<string>();
        foreach (string shape in shapes)
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
