using System.Diagnostics;
using System.Numerics;
using Nabla.Kernels;

namespace Nabla;

/// <summary>What one epoch gave: training time (evaluation excluded) and, when evaluation data was given, its accuracy and cost.</summary>
public sealed record EpochReport(int Epoch, double TrainSeconds, int Correct, int Total, double Cost)
{
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;
    /// <summary>The book's line: "Epoch 0: 9129 / 10000".</summary>
    public override string ToString() => Total > 0 ? $"Epoch {Epoch}: {Correct} / {Total}" : $"Epoch {Epoch} complete";
}

/// <summary>Accuracy and mean cost of a network on a data set.</summary>
public readonly record struct Evaluation(int Correct, int Total, double Cost)
{
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;
}

/// <summary>
/// Mini-batch stochastic gradient descent, the chapter's way: each epoch shuffles the training data,
/// cuts it into mini-batches of m examples, and for each runs backprop over the whole batch as
/// matrices and applies w → w − (η/m) Σ_x δ^(x,l) (a^(x,l−1))ᵀ, b → b − (η/m) Σ_x δ^(x,l).
/// The same seed gives the same run.
/// </summary>
public sealed class Sgd<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int EvaluationBatchSize = 500;
    private readonly MiniBatch<T> _batch;
    private readonly Random _shuffle;
    private MiniBatch<T>? _evaluationBatch;
    private int[] _order = [];

    public Network<T> Network { get; }
    public Cost Cost { get; }
    /// <summary>η, the learning rate.</summary>
    public T Eta { get; set; }
    /// <summary>m, the mini-batch size.</summary>
    public int MiniBatchSize { get; }

    /// <remarks><paramref name="threads"/>: threads for the matrix products (1 = this thread only). The work is split the
    /// same way every run, so a seed and a thread count give the same weights; other thread counts agree to rounding.</remarks>
    public Sgd(Network<T> network, Cost cost, T eta, int miniBatchSize, int seed = 0, int threads = 1)
    {
        if (threads is < 1 or > 64) throw new NablaException($"the number of threads must be 1 to 64, got {threads}");
        if (!(eta > T.Zero) || !T.IsFinite(eta)) throw new NablaException($"the learning rate η must be a positive number, got {eta}");
        if (miniBatchSize < 1) throw new NablaException($"the mini-batch size m must be at least 1, got {miniBatchSize}");
        Network = network;
        Cost = cost;
        Eta = eta;
        MiniBatchSize = miniBatchSize;
        _batch = new MiniBatch<T>(network, miniBatchSize, threads == 1 ? ComputeContext.Serial : new ComputeContext(threads));
        _shuffle = new Random(seed);
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs. After each, evaluates on <paramref name="evaluation"/>
    /// (if given) and calls <paramref name="onEpoch"/>. <paramref name="onProgress"/> receives the number
    /// of examples done in the current epoch, now and then (every ~1% of it).
    /// </summary>
    public IReadOnlyList<EpochReport> Train(Dataset training, int epochs, Dataset? evaluation = null,
        Action<EpochReport>? onEpoch = null, Action<int>? onProgress = null, CancellationToken cancellation = default)
    {
        if (epochs < 0) throw new NablaException($"the number of epochs must be 0 or more, got {epochs}");
        var reports = new List<EpochReport>(epochs);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            TrainEpoch(training, onProgress, cancellation);
            double seconds = clock.Elapsed.TotalSeconds;
            var e = evaluation is null ? new Evaluation(0, 0, double.NaN) : Evaluate(evaluation);
            var report = new EpochReport(epoch, seconds, e.Correct, e.Total, e.Cost);
            reports.Add(report);
            onEpoch?.Invoke(report);
        }
        return reports;
    }

    /// <summary>One epoch: shuffle, then one gradient-descent step per mini-batch (the last one may be smaller).</summary>
    public void TrainEpoch(Dataset training, Action<int>? onProgress = null, CancellationToken cancellation = default)
    {
        int n = training.Count;
        if (_order.Length != n) _order = Enumerable.Range(0, n).ToArray();
        Shuffle(_order);
        int reportEvery = Math.Max(MiniBatchSize, n / 100 / MiniBatchSize * MiniBatchSize);
        for (int start = 0; start < n; start += MiniBatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            int m = Math.Min(MiniBatchSize, n - start);
            Step(training, _order.AsSpan(start, m), next: _order.AsSpan(start + m, Math.Min(MiniBatchSize, n - start - m)));
            if (onProgress is not null && ((start + m) % reportEvery == 0 || start + m == n)) onProgress(start + m);
        }
    }

    /// <summary>One update from the examples <paramref name="indices"/>: backprop over the batch, then w → w − (η/m) ∇w.</summary>
    public void Step(Dataset data, ReadOnlySpan<int> indices) => Step(data, indices, default);

    // next: the examples of the following step, fetched into the cache meanwhile.
    private void Step(Dataset data, ReadOnlySpan<int> indices, ReadOnlySpan<int> next)
    {
        _batch.Load(data, indices, next);
        _batch.FeedForward();
        _batch.BackpropagateError(Cost);
        _batch.GradientDescentStep(Eta);
    }

    /// <summary>Accuracy (argmax) and mean cost (1/n) Σ_x C_x of the network on <paramref name="data"/>.</summary>
    public Evaluation Evaluate(Dataset data) => Evaluate(Network, Cost, data, ref _evaluationBatch);

    /// <summary>Accuracy and mean cost of any network on <paramref name="data"/>.</summary>
    public static Evaluation Evaluate(Network<T> network, Cost cost, Dataset data)
    {
        MiniBatch<T>? batch = null;
        return Evaluate(network, cost, data, ref batch);
    }

    private static Evaluation Evaluate(Network<T> network, Cost cost, Dataset data, ref MiniBatch<T>? batch)
    {
        if (batch is null || batch.Network != network) batch = new MiniBatch<T>(network, Math.Max(1, Math.Min(EvaluationBatchSize, data.Count)));
        Span<int> indices = new int[batch.Capacity];
        int correct = 0;
        double totalCost = 0;
        for (int start = 0; start < data.Count; start += batch.Capacity)
        {
            int m = Math.Min(batch.Capacity, data.Count - start);
            for (int i = 0; i < m; i++) indices[i] = start + i;
            batch.Load(data, indices[..m]);
            batch.FeedForward();
            correct += batch.CountCorrect();
            totalCost += double.CreateChecked(batch.TotalCost(cost));
        }
        return new Evaluation(correct, data.Count, data.Count == 0 ? double.NaN : totalCost / data.Count);
    }

    // Fisher–Yates with the seeded generator: the same seed gives the same order, epoch after epoch.
    private void Shuffle(int[] order)
    {
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = _shuffle.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
