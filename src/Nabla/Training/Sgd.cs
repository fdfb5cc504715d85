using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Distributed;
using Nabla.Kernels;

namespace Nabla;

/// <summary>What one epoch gave: training time (evaluation excluded) and, when evaluation data was given, its accuracy and cost.</summary>
public sealed record EpochReport(int Epoch, double TrainSeconds, int Correct, int Total, double Cost)
{
    /// <summary>Correct / Total, 0 to 1; NaN when nothing was evaluated.</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;
    /// <summary>The book's line: "Epoch 0: 9129 / 10000".</summary>
    public override string ToString() => Total > 0 ? $"Epoch {Epoch}: {Correct} / {Total}" : $"Epoch {Epoch} complete";
}

/// <summary>Accuracy and mean cost of a network on a data set.</summary>
public readonly record struct Evaluation(int Correct, int Total, double Cost)
{
    /// <summary>
    /// Correct / Total, 0 to 1 (NaN for no examples): the share whose most active output neuron is the target's. Meaningful for
    /// classes only; for regression targets it is argmax agreement (always 1 with one target), and the cost is the figure.
    /// </summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;

    /// <summary>
    /// True when the network gave the same output a^L, bit for bit, for every example (of two or more): it no longer looks at
    /// its input, as when every ReLU of a layer has died (<see cref="Diagnostics.ConstantOutput"/> finds the layer).
    /// </summary>
    public bool SameOutputForEveryExample { get; init; }
}

/// <summary>
/// Mini-batch stochastic gradient descent, the chapter's way: each epoch shuffles the training data,
/// cuts it into mini-batches of m examples, and for each runs backprop over the whole batch as
/// matrices and applies w → w − (η/m) Σ_x δ^(x,l) (a^(x,l−1))ᵀ, b → b − (η/m) Σ_x δ^(x,l).
/// Chapter 3's refinements are options: L2/L1 <see cref="Regularization"/>, <see cref="DropoutProbability"/>
/// on the hidden layers, another <see cref="Optimizer"/> (momentum, Adam), and expanded training data (<see cref="Expansion"/>). The same seed gives the same
/// run; the generator's state and the shuffle order can be saved and restored (<see cref="Random"/>, <see cref="Order"/>).
/// A trainer with more than one thread, or loading ahead, owns threads: dispose it when done.
/// </summary>
public sealed class Sgd<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int EvaluationBatchSize = 500;
    private readonly ComputeContext _context;
    private readonly TeamOrSolo? _teamOrSolo; // with more than one thread
    private readonly MiniBatch<T> _batch;
    private readonly MiniBatchLoader<T> _loader;
    private MiniBatch<T>? _evaluationBatch;
    private int[] _order = [];
    private int _position;
    private Dropout? _dropout;
    private ImageExpansion? _expansion;
    private DataParallel<T>? _dataParallel;
    private bool _stopAgreed; // data-parallel: the processes agreed, in the last step of an epoch, to stop before the next one
    private bool _disposed;

    /// <summary>The network trained, in place.</summary>
    public Network<T> Network { get; }
    /// <summary>C, whose gradient ∇_a C BP1 starts from; also the cost <see cref="Evaluate(Dataset)"/> reports (plus the penalty).</summary>
    public Cost Cost { get; }
    /// <summary>η, the learning rate.</summary>
    public T Eta { get; set; }
    /// <summary>m, the mini-batch size.</summary>
    public int MiniBatchSize { get; }
    /// <summary>The penalty on the weights (none by default); n is the size of the training set.</summary>
    public Regularization Regularization { get; set; }
    /// <summary>How a step uses the gradient: plain SGD (fused, the default), momentum or Adam.</summary>
    public Optimizer<T> Optimizer { get; set; } = Optimizer<T>.Sgd();
    /// <summary>The seeded generator for shuffling, dropout masks and expansion keys; its state goes into checkpoints.</summary>
    public Xoshiro256 Random { get; }

    /// <summary>p, the probability of dropping a hidden neuron during training (inverted dropout); 0 turns dropout off.</summary>
    public double DropoutProbability
    {
        get => _dropout?.Probability ?? 0;
        set => _dropout = value == 0 ? null : new Dropout(value);
    }

    /// <summary>
    /// Chapter 3's expanded training data: each epoch sees every training image moved a little (shifted; rotated or mirrored
    /// if asked), drawn anew each epoch (<see cref="ImageExpansion"/>); null (the default) trains on the images as stored. The
    /// images must have as many pixels as the input layer has neurons.
    /// </summary>
    public ImageExpansion? Expansion
    {
        get => _expansion;
        set
        {
            if (value is not null && value.Shape.Pixels != Network.Sizes[0])
                throw new NablaException($"image expansion: images of {value.Shape} are {value.Shape.Pixels} inputs, but the network's input layer has {Network.Sizes[0]} neurons");
            _expansion = value;
            _loader.Transform = value;
        }
    }

    /// <summary>
    /// The current epoch's key for <see cref="Expansion"/>: drawn from <see cref="Random"/> after each shuffle (only while an
    /// expansion is set), the moves of all its examples follow from it. Saved in checkpoints, for an epoch resumed part-way.
    /// </summary>
    public ulong ExpansionKey { get; set; }

    /// <summary>
    /// Whether <see cref="TrainEpoch"/> gathers each next mini-batch on a helper thread while the current one computes; the
    /// results are the same either way (the same examples, in the same order). Off by default: measured on this project's
    /// 2-core machine with [784,30,10] at m = 10 (alternating `nabla bench` runs, a busy machine), an epoch gathered in line
    /// took 0.048–0.060 s at best and 0.076–0.098 s in the median against 0.063–0.072 and 0.127–0.162 s with the helper,
    /// and with a CPU hog beside it 0.173 against 0.231 s in the median: a step of 10 µs gains less from the helper than the
    /// batch costs to cross from its core to the other.
    /// </summary>
    public bool LoadAhead { get; set; }

    /// <summary>
    /// Data-parallel training across processes (<c>mpirun -np N nabla train</c>); null (the default): this process alone.
    /// When set, every process runs the same trainer on the same data and seed, so they draw the same shuffle and dropout
    /// keys; each step takes the next N·m examples of the shuffle (m = <see cref="MiniBatchSize"/>), this process does
    /// backprop over its m of them, the gradient is summed across processes, and every process makes the same update:
    /// N processes with mini-batch m take the steps of one process with mini-batch N·m. <see cref="Evaluate(Dataset)"/>
    /// gives process 0's figures on every process. <see cref="LoadAhead"/> is not used.
    /// </summary>
    public ICommunicator? Communicator
    {
        get => _dataParallel?.Communicator;
        set
        {
            if (value is not null && (long)value.Size * MiniBatchSize > int.MaxValue)
                throw new NablaException($"{value.Size} processes × mini-batch {MiniBatchSize} is too large a global mini-batch");
            _dataParallel = value is null ? null : new DataParallel<T>(value, Network);
        }
    }

    /// <summary>The examples one step trains on: m, or N·m across N processes.</summary>
    public int GlobalBatchSize => MiniBatchSize * (_dataParallel?.Ranks ?? 1);

    /// <summary>When set, every step adds the time of each of its phases here (<c>nabla bench --breakdown</c>); null (the default) reads no clock.</summary>
    public StepTiming? Timing
    {
        get => _batch.Timing;
        set => _batch.Timing = value;
    }

    /// <summary>
    /// How many examples apart <see cref="TrainEpoch"/> calls its progress callback (rounded up to whole mini-batches);
    /// null: about 1 % of the epoch. A caller that pauses or steps between mini-batches (the Studio) sets it to
    /// <see cref="MiniBatchSize"/>, so that the callback sees every mini-batch boundary.
    /// </summary>
    public int? ProgressEvery { get; set; }

    /// <summary>The order of the training examples after the last shuffle (each epoch shuffles it further), for checkpoints.</summary>
    public int[] Order
    {
        get => _order;
        set => _order = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Where the current epoch stands: the index in <see cref="Order"/> of the next example to train on, or 0
    /// when no epoch is under way (the next one shuffles first). Nonzero only after an interrupted epoch;
    /// saved in checkpoints so that a resumed run continues with the very next mini-batch.
    /// </summary>
    public int Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "a position in the epoch's order");
    }

    /// <remarks><paramref name="threads"/>: threads for the matrix products (1 = this thread only). The work is split the
    /// same way every run, and every output of a split product is computed by the same instructions whichever thread holds it,
    /// so a seed gives the same weights whatever the thread count.</remarks>
    public Sgd(Network<T> network, Cost cost, T eta, int miniBatchSize, int seed = 0, int threads = 1)
    {
        if (threads is < 1 or > 64) throw new NablaException($"the number of threads must be 1 to 64, got {threads}");
        if (!(eta > T.Zero) || !T.IsFinite(eta)) throw new NablaException($"the learning rate η must be a positive number, got {eta}");
        if (miniBatchSize < 1) throw new NablaException($"the mini-batch size m must be at least 1, got {miniBatchSize}");
        cost.CheckOutputActivation(network.Activations[network.L]);
        Network = network;
        Cost = cost;
        Eta = eta;
        MiniBatchSize = miniBatchSize;
        _context = threads == 1 ? ComputeContext.Serial : new ComputeContext(threads);
        if (threads > 1) _teamOrSolo = new TeamOrSolo(_context);
        _batch = new MiniBatch<T>(network, miniBatchSize, _context);
        _loader = new MiniBatchLoader<T>(network.Sizes, miniBatchSize, _context);
        Random = new Xoshiro256(seed);
    }

    /// <summary>The threads of the products.</summary>
    internal ComputeContext Context => _context;

    /// <summary>The threads of the products (with more than one) and the loading thread end; the trainer cannot train after this.</summary>
    public void Dispose()
    {
        _disposed = true;
        _loader.Dispose();
        if (_context != ComputeContext.Serial) _context.Dispose();
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

    /// <summary>
    /// One epoch: shuffle, then one gradient-descent step per mini-batch (the last one may be smaller).
    /// Cancellation is honoured between mini-batches, leaving <see cref="Position"/> at the next one, so an
    /// interrupted epoch can be finished later. Throws <see cref="TrainingDivergedException"/> as soon as
    /// the output error δ^L stops being finite.
    /// </summary>
    public void TrainEpoch(Dataset training, Action<int>? onProgress = null, CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckExpansionFits(training);
        int n = training.Count;
        if (_order.Length != n || _position >= n)
        {
            _order = Enumerable.Range(0, n).ToArray();
            _position = 0;
        }
        if (_position == 0)
        {
            if (_stopAgreed)
            {
                _stopAgreed = false; // told once: a caller may go on training
                throw new OperationCanceledException("a process of the distributed run was interrupted", null, cancellation);
            }
            if (_dataParallel is null) cancellation.ThrowIfCancellationRequested(); // across processes, the first step tells them all
            Random.Shuffle(_order); // Fisher–Yates with the seeded generator: the same seed gives the same order
            if (_expansion is not null) ExpansionKey = Random.NextUInt64();
        }
        int batch = GlobalBatchSize;
        int reportEvery = ProgressEvery is int every
            ? (int)Math.Clamp(((long)every + batch - 1) / batch * batch, batch, Math.Max(n, batch))
            : Math.Max(batch, n / 100 / batch * batch);
        bool ahead = LoadAhead && _position < n && _dataParallel is null;
        _dataParallel?.CheckStart(training);
        Timing?.Start();
        _teamOrSolo?.Restart();
        try
        {
            if (ahead) _loader.StartLoading(training, _order, _position, Math.Min(MiniBatchSize, n - _position), ExpansionKey);
            for (int start = _position; start < n; start += batch)
            {
                int m = Math.Min(batch, n - start);
                int next = start + m;
                if (_dataParallel is not null)
                {
                    // This process's share of the global mini-batch; the processes agree, within the step, on whether to stop after it.
                    var (first, count) = DataParallel<T>.Share(m, _dataParallel.Rank, _dataParallel.Ranks);
                    if (count > 0) _loader.Load(_batch, training, _order.AsSpan(start + first, count), draw: ExpansionKey);
                    _batch.FirstRow = first;
                    Timing?.Mark(StepPhase.Load);
                    bool stop = ComputeShare(training.Count, count > 0, m, cancellation.IsCancellationRequested, start / batch);
                    _teamOrSolo?.StepDone();
                    _position = next;
                    if (onProgress is not null && (next % reportEvery == 0 || next == n)) onProgress(next);
                    if (stop && next < n) throw new OperationCanceledException("a process of the distributed run was interrupted", null, cancellation);
                    _stopAgreed |= stop; // at the epoch's end: the epoch completes, and the next one stops before it starts
                    continue;
                }
                // Not before the first mini-batch of a fresh epoch: its shuffle is done, so stopping there would lose it.
                if (start > 0) cancellation.ThrowIfCancellationRequested();
                if (ahead)
                {
                    _loader.FinishLoading(_batch);
                    if (next < n) _loader.StartLoading(training, _order, next, Math.Min(MiniBatchSize, n - next), ExpansionKey);
                }
                else
                {
                    _loader.Load(_batch, training, _order.AsSpan(start, m), next: _order.AsSpan(next, Math.Min(MiniBatchSize, n - next)), ExpansionKey);
                }
                Timing?.Mark(StepPhase.Load);
                Compute(training.Count);
                _teamOrSolo?.StepDone();
                if (!T.IsFinite(TensorPrimitives.Sum<T>(_batch.Delta(Network.L))))
                    throw new TrainingDivergedException(null, start / MiniBatchSize, "the output error δ^L");
                _position = next;
                if (onProgress is not null && (next % reportEvery == 0 || next == n)) onProgress(next);
            }
        }
        finally
        {
            if (ahead) _loader.Cancel(); // an epoch cut short leaves no gather running into the next one
        }
        _dataParallel?.CheckWeights();
        _position = 0;
    }

    /// <summary>
    /// One update from the examples <paramref name="indices"/> of <paramref name="data"/>: backprop over the
    /// batch (through dropout masks if on, its images moved under <see cref="ExpansionKey"/> if <see cref="Expansion"/> is set),
    /// then the optimiser's step (regularised with n = data.Count). This process
    /// alone: a <see cref="Communicator"/> is not used.
    /// </summary>
    public void Step(Dataset data, ReadOnlySpan<int> indices)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckExpansionFits(data);
        _loader.Load(_batch, data, indices, draw: ExpansionKey);
        Compute(data.Count);
    }

    /// <summary>The <see cref="Expansion"/>, if any, moves images of the data's shape; data without an image shape (a table) cannot take it.</summary>
    private void CheckExpansionFits(Dataset data)
    {
        if (_expansion is null || data.ImageShape == _expansion.Shape) return;
        throw new NablaException(data.ImageShape is { } shape
            ? $"image expansion: the expansion is for images of {_expansion.Shape}, the training data holds images of {shape}"
            : "image expansion: the training data has no image shape (a table's rows, or inputs made without one: set Dataset.ImageShape), so its pixels cannot be moved");
    }

    /// <summary>
    /// The training step on the loaded batch, the same for every recipe: one forward pass (through the dropout masks, when on),
    /// one backward pass (BP1, BP2), and the optimiser's step (BP3, BP4 and the update; fused for plain SGD). n = the size of
    /// the training set, for regularisation.
    /// </summary>
    private void Compute(int n)
    {
        _batch.FirstRow = 0; // the whole mini-batch is here
        _dropout?.Draw(Random);
        ForwardAndBackward();
        Optimizer.Step(_batch, Eta, Regularization, n); // marks the gradient, when it computes one
        Timing?.Mark(StepPhase.Update);
    }

    /// <summary>The forward pass on the loaded batch (through the current dropout masks, when on), then BP1 and BP2.</summary>
    private void ForwardAndBackward()
    {
        _batch.FeedForward(_dropout);
        Timing?.Mark(StepPhase.FeedForward);
        _batch.BackpropagateError(Cost, _dropout);
        Timing?.Mark(StepPhase.BackpropagateError);
    }

    /// <summary>
    /// Data-parallel training's step on the loaded share (none when <paramref name="hasRows"/> is false): the same forward and
    /// backward passes, then the gradient summed across processes and the update by it (<see cref="DataParallel{T}.Step"/>).
    /// Every process draws the step's dropout key, rows or not, so that their generators stay in step.
    /// </summary>
    private bool ComputeShare(int n, bool hasRows, int globalCount, bool stopRequested, int stepInEpoch)
    {
        _dropout?.Draw(Random);
        if (hasRows) ForwardAndBackward();
        return _dataParallel!.Step(_batch, hasRows, globalCount, Optimizer, Eta, Regularization, n, stopRequested, stepInEpoch);
    }

    /// <summary>
    /// Accuracy (argmax) and cost of the network on <paramref name="data"/>: (1/n) Σ_x C_x plus the
    /// regularisation penalty with n the size of <paramref name="data"/>, as network2.py's total_cost.
    /// In data-parallel training, process 0 evaluates and every process returns its figures.
    /// </summary>
    public Evaluation Evaluate(Dataset data)
    {
        if (_dataParallel is { } dataParallel) return dataParallel.Share(() => EvaluateHere(data));
        return EvaluateHere(data);
    }

    private Evaluation EvaluateHere(Dataset data)
    {
        _evaluationBatch ??= new MiniBatch<T>(Network, Math.Max(1, Math.Min(EvaluationBatchSize, data.Count)), _context);
        var e = Evaluate(Network, Cost, data, ref _evaluationBatch);
        return data.Count == 0 ? e : e with { Cost = e.Cost + Regularization.Penalty(Network, data.Count) };
    }

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
        T[]? firstOutput = null;
        bool sameOutput = true;
        for (int start = 0; start < data.Count; start += batch.Capacity)
        {
            int m = Math.Min(batch.Capacity, data.Count - start);
            for (int i = 0; i < m; i++) indices[i] = start + i;
            batch.Load(data, indices[..m]);
            batch.FeedForward();
            correct += batch.CountCorrect();
            totalCost += double.CreateChecked(batch.TotalCost(cost));
            firstOutput ??= batch.Activation(network.L)[..network.Sizes[^1]].ToArray();
            sameOutput = sameOutput && batch.EveryRowEquals(network.L, firstOutput);
        }
        return new Evaluation(correct, data.Count, data.Count == 0 ? double.NaN : totalCost / data.Count)
        {
            SameOutputForEveryExample = data.Count > 1 && sameOutput,
        };
    }
}
