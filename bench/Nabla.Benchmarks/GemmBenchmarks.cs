using BenchmarkDotNet.Attributes;
using Nabla.Kernels;

namespace Nabla.Benchmarks;

/// <summary>
/// The three backprop products at the shapes the model uses (float). Shape strings are "op m×n×k" in the
/// argument order of the kernel: Fwd = MultiplyTransposedAddBias (C[m×n] = A[m×k]·B[n×k]ᵀ + bias),
/// BP2 = Multiply (C[m×n] = A[m×k]·B[k×n]), BP4 = MultiplyTransposedAAccumulate (C[n×k] += −η/m·A[m×n]ᵀ·B[m×k]).
/// Work is 2·m·n·k flops in each case; GFLOP/s = 2·m·n·k / (ns per op).
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    [Params(
        "Fwd 10x30x784", "Fwd 10x100x784", "Fwd 10x10x30", "Fwd 100x1000x784", "Fwd 100x1000x1000",
        "BP2 10x30x10", "BP2 10x784x30", "BP2 100x1000x1000", "BP2 100x1000x10",
        "BP4 10x30x784", "BP4 10x100x784", "BP4 100x1000x784", "BP4 100x1000x1000",
        // The practitioner recipe, [784,500,200,10] at m = 128.
        "Fwd 128x500x784", "Fwd 128x200x500", "Fwd 128x10x200", "BP2 128x500x200", "BP2 128x200x10",
        "BP4 128x500x784", "BP4 128x200x500", "BP4 128x10x200")]
    public string Shape { get; set; } = "";

    private string _op = "";
    private int _m, _n, _k;
    private float[] _a = [], _b = [], _bias = [], _c = [];

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split(' ');
        _op = parts[0];
        int[] d = parts[1].Split('x').Select(int.Parse).ToArray();
        (_m, _n, _k) = (d[0], d[1], d[2]);
        var rng = new Random(42);
        float[] Rand(int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        switch (_op)
        {
            case "Fwd": _a = Rand(_m * _k); _b = Rand(_n * _k); _bias = Rand(_n); _c = new float[_m * _n]; break;
            case "BP2": _a = Rand(_m * _k); _b = Rand(_k * _n); _c = new float[_m * _n]; break;
            case "BP4": _a = Rand(_m * _n); _b = Rand(_m * _k); _c = Rand(_n * _k); break;
            default: throw new ArgumentException(Shape);
        }
    }

    [Benchmark(Baseline = true)]
    public void Fast()
    {
        switch (_op)
        {
            case "Fwd": Gemm.MultiplyTransposedAddBias<float>(_a, _b, _bias, _c, _m, _n, _k); break;
            case "BP2": Gemm.Multiply<float>(_a, _b, _c, _m, _n, _k); break;
            default: Gemm.MultiplyTransposedAAccumulate<float>(_a, _b, _c, _m, _n, _k, -0.001f, 1f); break;
        }
    }

    [Benchmark]
    public void Reference()
    {
        switch (_op)
        {
            case "Fwd": ReferenceGemm.MultiplyTransposedAddBias<float>(_a, _b, _bias, _c, _m, _n, _k); break;
            case "BP2": ReferenceGemm.Multiply<float>(_a, _b, _c, _m, _n, _k); break;
            default: ReferenceGemm.MultiplyTransposedAAccumulate<float>(_a, _b, _c, _m, _n, _k, -0.001f, 1f); break;
        }
    }
}
