using BenchmarkDotNet.Attributes;
using Nabla.Data;
using Nabla.Kernels;

namespace Nabla.Benchmarks;

/// <summary>
/// One SGD mini-batch step (load, feedforward, backpropagate, update) of the three benchmark networks on synthetic
/// MNIST-shaped data, float32, with 1 and 2 threads. An epoch of 50,000 examples is 50,000 / m of these.
/// </summary>
[MemoryDiagnoser]
public class StepBenchmarks
{
    [Params("784-30-10 m10", "784-100-10 m10", "784-1000-1000-10 m100")]
    public string Network { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    private Sgd<float> _sgd = null!;
    private Dataset _data = null!;
    private int[] _order = [];
    private int _batch, _next;

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Network.Split(' ');
        int[] sizes = parts[0].Split('-').Select(int.Parse).ToArray();
        _batch = int.Parse(parts[1][1..]);
        var random = new Random(1);
        const int examples = 5_000;
        var pixels = new float[examples * sizes[0]];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = random.Next(256) / 255f;
        var labels = new int[examples];
        for (int i = 0; i < labels.Length; i++) labels[i] = random.Next(sizes[^1]);
        _data = new Dataset(pixels, labels, sizes[0], sizes[^1]);
        _order = Enumerable.Range(0, examples).ToArray();
        random.Shuffle(_order);
        var network = new Network<float>(sizes, Activation.Sigmoid, Initialization.StandardNormal, seed: 1);
        _sgd = new Sgd<float>(network, Cost.Quadratic, sizes.Length > 3 ? 0.5f : 3f, _batch, seed: 1, threads: Threads);
    }

    [Benchmark]
    public void Step()
    {
        if (_next + _batch > _order.Length) _next = 0;
        _sgd.Step(_data, _order.AsSpan(_next, _batch));
        _next += _batch;
    }
}
