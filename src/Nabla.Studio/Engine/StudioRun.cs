using System.Text.Json.Serialization;
using System.Diagnostics;
using System.Numerics;
using Nabla.Data;
using Nabla.Diagnostics;
using Nabla.Kernels;

namespace Nabla.Studio.Engine;

public enum RunState { Paused, Running, Finished, Stopped, Failed }

/// <summary>
/// The network at one moment of training, copied between two mini-batches: every view reads it, never the network the
/// kernels are writing. Immutable once published.
/// </summary>
public sealed class Snapshot
{
    private readonly Lazy<Network<double>> _double;

    internal Snapshot(long version, int epoch, int position, object typed, Func<Network<double>> toDouble)
    {
        (Version, Epoch, Position, Typed) = (version, epoch, position, typed);
        _double = new Lazy<Network<double>>(toDouble, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Counts snapshots from 1; a view whose version is older redraws.</summary>
    public long Version { get; }
    /// <summary>Epochs completed when it was taken.</summary>
    public int Epoch { get; }
    /// <summary>Examples of the current epoch trained on when it was taken.</summary>
    public int Position { get; }
    /// <summary>The network in the run's own precision (a Network&lt;float&gt; or Network&lt;double&gt;).</summary>
    internal object Typed { get; }
    /// <summary>The same network in float64, for the chapter's per-example computations (backprop, the demon, gradient checks).</summary>
    public Network<double> Network => _double.Value;
}

/// <summary>
/// One epoch as `nabla train --json` reports it, plus the book's line and the training speed. As there, the evaluation figures
/// are named after the data they come from: test_correct, or validation_correct when the run evaluates on the validation split.
/// </summary>
public sealed record EpochRecord(int Epoch, double TrainSeconds, [property: JsonIgnore] int Correct, [property: JsonIgnore] int Total,
    [property: JsonIgnore] double Cost, string EvaluatedOn,
    double Eta, double? TrainingCost, double? TrainingAccuracy, double? EvaluationCost, double? EvaluationAccuracy, bool IsBest,
    bool SameOutputForEveryExample, string Line, double ExamplesPerSecond)
{
    /// <summary>{evaluated_on}_correct, _total and _cost, written beside the other fields.</summary>
    [JsonExtensionData]
    public Dictionary<string, object> NamedFigures => new()
    {
        [$"{EvaluatedOn}_correct"] = Correct, [$"{EvaluatedOn}_total"] = Total, [$"{EvaluatedOn}_cost"] = Cost,
    };
}

/// <summary>Per-layer figures of the saturation report at one moment (layer l from 1).</summary>
public sealed record LayerFigures(int Layer, double SaturatedFraction, double InactiveInputFraction, double MeanAbsDelta, double WeightGradientNorm, double BiasGradientNorm);

/// <summary>
/// A live point between epoch ends: accuracy and cost of the snapshot on fixed samples of the evaluation and training
/// data, the training speed, and each layer's saturation and ‖∂C/∂w‖ on a sample of training examples.
/// </summary>
public sealed record ProgressRecord(double Epoch, int Examples, int ExamplesTotal, double ExamplesPerSecond, long Snapshot,
    double EvaluationAccuracy, double EvaluationCost, int EvaluationSample, double TrainingAccuracy, double TrainingCost, int TrainingSample,
    IReadOnlyList<LayerFigures> Layers);

/// <summary>
/// One training run: the library's <see cref="TrainingRun{T}"/> on a thread of its own, driven by pause, resume, step and
/// stop between mini-batches. It never waits on a viewer: it copies a <see cref="Snapshot"/> a few times a second (under a
/// short lock, between mini-batches) and records each epoch; the publisher turns those into events.
/// </summary>
public abstract class StudioRun
{
    private static int _nextId;

    protected StudioRun(RunOptions options, Cost cost, Dataset training, Dataset evaluation, string evaluationName, ToyData? toy, string dataDescription)
    {
        Id = Interlocked.Increment(ref _nextId);
        (Options, Cost, Training, Evaluation, EvaluationName, Toy, DataDescription) = (options, cost, training, evaluation, evaluationName, toy, dataDescription);
    }

    public int Id { get; }
    public RunOptions Options { get; }
    public Cost Cost { get; }
    public Dataset Training { get; }
    /// <summary>The data each epoch is evaluated on: test (or validation with "validation": true); Playground: its test points.</summary>
    public Dataset Evaluation { get; }
    public string EvaluationName { get; }
    /// <summary>The Playground set, for Playground runs.</summary>
    public ToyData? Toy { get; }
    public string DataDescription { get; }
    public abstract IReadOnlyList<int> Sizes { get; }
    public abstract string[] ActivationNames { get; }
    public abstract string Precision { get; }
    public abstract int Threads { get; }

    public abstract RunState State { get; }
    public abstract string? Error { get; }
    public abstract string? StopReason { get; }
    public abstract int Epoch { get; }
    public abstract int Position { get; }
    public abstract Snapshot Snapshot { get; }

    public abstract void Pause();
    public abstract void Resume();
    public abstract void Step(int count);
    public abstract void Stop();
    /// <summary>Waits for the training thread to end (after <see cref="Stop"/>).</summary>
    public abstract bool Join(TimeSpan timeout);
    /// <summary>Writes a checkpoint `nabla train --resume` continues from; the run must be stopped first.</summary>
    public abstract void SaveCheckpoint(string directory);
    /// <summary>Saves the latest snapshot as a model file.</summary>
    public abstract void SaveModel(string path);

    /// <summary>Epoch records and live points so far (copies).</summary>
    public abstract (EpochRecord[] Epochs, ProgressRecord[] Progress) History();
    /// <summary>The last (at most <paramref name="max"/>) of the epoch records after the first <paramref name="known"/>, and how many there are in all.</summary>
    internal abstract (EpochRecord[] NewEpochs, int Total) EpochsSince(int known, int max);
    internal abstract ProgressRecord? MeasureProgress(long sinceSnapshot);
    internal abstract long StateVersion { get; }

    /// <summary>Signalled on every change a viewer should see at once (state, a step, an epoch end, a new snapshot).</summary>
    internal AutoResetEvent Changed { get; } = new(false);

    /// <summary>Builds a run from options, checking each with the library's own checks (NablaException: one line, 400).</summary>
    public static StudioRun Create(RunOptions o, StudioData data, StudioLimits limits, TimeSpan snapshotInterval) =>
        o.Precision.ToLowerInvariant() switch
        {
            "float32" or "float" or "single" => StudioRun<float>.Build(o, data, limits, snapshotInterval),
            "float64" or "double" => StudioRun<double>.Build(o, data, limits, snapshotInterval),
            var p => throw new NablaException($"precision: '{p}' is not float32 or float64"),
        };
}

public sealed class StudioRun<T> : StudioRun where T : unmanaged, IFloatingPointIeee754<T>
{
    // Live estimates use fixed samples, so that points along the curve are comparable.
    private const int EstimateSample = 500, SaturationSample = 200;
    private readonly TrainingRun<T> _run;
    private readonly MonitoredFigures _monitor;
    private readonly Dataset _evaluationSample, _trainingSample;
    private readonly int[] _saturationSample;
    private readonly long _snapshotTicks;
    private readonly object _lock = new();
    private readonly List<EpochRecord> _epochs = [];
    private readonly List<ProgressRecord> _progress = [];
    private readonly Thread _thread;
    private volatile bool _running, _stop;
    private int _steps;
    private CancellationTokenSource _segment = new();
    private volatile RunState _state;
    private volatile string? _error;
    private long _stateVersion;
    private Snapshot _snapshot;
    private long _lastSnapshotTicks;
    private double _partialSeconds;
    private volatile int _position;
    // Training speed between snapshots, counted only while running.
    private long _rateTicks, _rateExamples;
    private double _examplesPerSecond;

    private StudioRun(RunOptions o, TrainingRun<T> run, MonitoredFigures monitor, Cost cost, Dataset training, Dataset evaluation,
        string evaluationName, ToyData? toy, string description, TimeSpan snapshotInterval)
        : base(o, cost, training, evaluation, evaluationName, toy, description)
    {
        (_run, _monitor) = (run, monitor);
        _evaluationSample = evaluation.Count > EstimateSample ? evaluation.Slice(0, EstimateSample) : evaluation;
        _trainingSample = training.Count > EstimateSample ? training.Slice(0, EstimateSample) : training;
        _saturationSample = Saturation.Sample(training, SaturationSample, o.Seed);
        _snapshotTicks = (long)(snapshotInterval.TotalSeconds * Stopwatch.Frequency);
        // Every mini-batch boundary reaches OnProgress, so that pause and step act between two mini-batches.
        run.Sgd.ProgressEvery = run.Sgd.MiniBatchSize;
        _snapshot = Copy(0);
        _running = !o.Paused;
        _state = o.Paused ? RunState.Paused : RunState.Running;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"Nabla Studio run {Id}" };
    }

    internal static StudioRun<T> Build(RunOptions o, StudioData data, StudioLimits limits, TimeSpan snapshotInterval)
    {
        CheckLimits(o, limits);
        ToyData? toy = null;
        Dataset training, evaluation;
        string evaluationName, description;
        if (o.IsPlayground)
        {
            toy = ToyData.Make(o.Data, o.Points, o.Noise, o.Ratio, o.Features, o.Seed);
            (training, evaluation, evaluationName) = (toy.Training, toy.Test, "test");
            description = $"Playground '{toy.Name}': {toy.Points.Length} points ({training.Count} training, {evaluation.Count} test), noise {o.Noise} %, features {string.Join(", ", toy.Features)}";
        }
        else
        {
            var mnist = data.Mnist;
            if (o.TrainSize is < 1) throw new NablaException($"train-size: must be at least 1, got {o.TrainSize}");
            training = o.TrainSize is int n && n < mnist.Training.Count ? mnist.Training.Slice(0, n) : mnist.Training;
            (evaluation, evaluationName) = o.Validation ? (mnist.Validation, "validation") : (mnist.Test, "test");
            description = $"{mnist.Description}; training on {training.Count:N0}, evaluating on the {evaluationName} data";
        }
        if (o.Layers[0] != training.InputSize)
            throw new NablaException($"layers: the input layer has {o.Layers[0]} neurons but the data has {training.InputSize} inputs per example; start layers with {training.InputSize}");
        if (o.Layers[^1] != training.ClassCount)
            throw new NablaException($"layers: the output layer has {o.Layers[^1]} neurons but the data has {training.ClassCount} classes; end layers with {training.ClassCount}");

        // Each value is checked by the library as it is used; its message gets the option's name in front.
        var activations = Check("activation", () => o.Activation.Length == 1 || o.Activation.Length == o.Layers.Length - 1
            ? Enumerable.Range(0, o.Layers.Length - 1).Select(i => Nabla.Activation.FromName(o.Activation[o.Activation.Length == 1 ? 0 : i])).ToArray()
            : throw new NablaException($"give one activation or {o.Layers.Length - 1} (one per layer after the input), got {o.Activation.Length}"));
        var cost = Check("cost", () => Nabla.Cost.FromName(o.Cost));
        var init = Check("init", () => o.Init.ToLowerInvariant() switch
        {
            "standard-normal" or "standard" or "normal" => Initialization.StandardNormal,
            "scaled-normal" or "scaled" => Initialization.ScaledNormal,
            _ => throw new NablaException($"'{o.Init}' is not standard-normal or scaled-normal"),
        });
        var regularization = Check("lambda", () => o.Lambda == 0 ? Regularization.None : o.Regularization.ToLowerInvariant() switch
        {
            "l2" => Regularization.L2(o.Lambda),
            "l1" => Regularization.L1(o.Lambda),
            _ => throw new NablaException($"regularization '{o.Regularization}' is not l2 or l1"),
        });
        int threads = o.Threads == 0 ? ComputeContext.ThreadsFor(o.Layers, o.Batch) : o.Threads;
        var network = Check("layers", () => new Network<T>(o.Layers, activations, init, o.Seed));
        Check("cost", () => { cost.CheckOutputActivation(activations[^1]); return cost; }); // e.g. cross-entropy with a ReLU output
        Sgd<T> sgd;
        try { sgd = new Sgd<T>(network, cost, T.CreateChecked(o.Eta), o.Batch, o.Seed, threads); }
        catch (NablaException e) // the trainer checks three options; its message says which
        {
            string option = e.Message.Contains('η') ? "eta" : e.Message.Contains("mini-batch") ? "batch" : "threads";
            throw new NablaException($"{option}: {e.Message}");
        }
        sgd.Regularization = regularization;
        // Playground points have a few inputs: gathering a batch costs nothing, and a helper thread woken at each of the
        // thousands of tiny epochs would cost more than the epoch.
        if (toy is not null) sgd.LoadAhead = false;
        Check("dropout", () => sgd.DropoutProbability = o.Dropout);
        if (o.Expand)
            sgd.Expansion = Check("expand", () => new ImageExpansion(
                training.ImageShape ?? throw new NablaException("the Playground's points are not images; expansion moves the pixels of MNIST-format images"),
                o.ExpandShift, o.ExpandRotation, o.ExpandInterpolation.ToLowerInvariant() switch
                {
                    "nearest" => ImageInterpolation.Nearest,
                    "bilinear" => ImageInterpolation.Bilinear,
                    _ => throw new NablaException($"'{o.ExpandInterpolation}' is not nearest or bilinear"),
                }, o.ExpandMirror));
        sgd.Optimizer = Check("optimizer", () => o.Optimizer.ToLowerInvariant() switch
        {
            "sgd" => Optimizer<T>.Sgd(),
            "momentum" => Optimizer<T>.Momentum(o.Layers, o.Momentum),
            "adam" => Optimizer<T>.Adam(o.Layers),
            _ => throw new NablaException($"'{o.Optimizer}' is not sgd, momentum or adam"),
        });
        LearningRateSchedule schedule = Check("schedule", () => o.Schedule.ToLowerInvariant() switch
        {
            "constant" => new ConstantSchedule(o.Eta),
            "step" => new StepSchedule(o.Eta, o.StepGamma, o.StepEvery),
            "halving" => (LearningRateSchedule)new HalvingSchedule(o.Eta, o.HalvingPatience, o.Halvings),
            _ => throw new NablaException($"'{o.Schedule}' is not constant, step or halving"),
        });
        var stopping = o.EarlyStopping is int patience ? Check("early-stopping", () => new EarlyStopping(patience)) : null;
        var run = Check("epochs", () => new TrainingRun<T>(sgd, schedule, o.Epochs, stopping));
        var monitor = Check("monitor", () => MonitoredFiguresNames.Parse(o.Monitor));
        var studio = new StudioRun<T>(o, run, monitor, cost, training, evaluation, evaluationName, toy, description, snapshotInterval);
        studio._thread.Start();
        return studio;
    }

    /// <summary>Runs a library check, naming the option in front of its message.</summary>
    private static TValue Check<TValue>(string option, Func<TValue> make)
    {
        try { return make(); }
        catch (NablaException e) { throw new NablaException($"{option}: {e.Message}"); }
    }

    /// <summary>The Studio's caps: checked before anything is allocated.</summary>
    private static void CheckLimits(RunOptions o, StudioLimits limits)
    {
        if (o.Layers.Length < 2 || o.Layers.Length > limits.MaxLayers)
            throw new NablaException($"layers: give 2 to {limits.MaxLayers} layer sizes (input, up to {limits.MaxLayers - 2} hidden, output), got {o.Layers.Length}");
        for (int l = 0; l < o.Layers.Length; l++)
            if (o.Layers[l] < 1 || o.Layers[l] > limits.MaxNeuronsPerLayer)
                throw new NablaException($"layers: layer {l} has {o.Layers[l]} neurons; each layer needs 1 to {limits.MaxNeuronsPerLayer}");
        long parameters = 0;
        for (int l = 1; l < o.Layers.Length; l++) parameters += (long)o.Layers[l] * (o.Layers[l - 1] + 1);
        if (parameters > limits.MaxParameters)
            throw new NablaException($"layers: [{string.Join(",", o.Layers)}] has {parameters:N0} weights and biases; the Studio allows {limits.MaxParameters:N0}");
        if (o.Epochs > limits.MaxEpochs) throw new NablaException($"epochs: at most {limits.MaxEpochs:N0}, got {o.Epochs}");
        if (o.Batch > limits.MaxBatch) throw new NablaException($"batch: at most {limits.MaxBatch:N0}, got {o.Batch}");
        if (o.Threads < 0 || o.Threads > limits.MaxThreads) throw new NablaException($"threads: 0 (choose) or 1 to {limits.MaxThreads}, got {o.Threads}");
    }

    public override IReadOnlyList<int> Sizes => _run.Sgd.Network.Sizes;
    public override string[] ActivationNames => _run.Sgd.Network.Activations.Select(a => a.Name).ToArray();
    public override string Precision => typeof(T) == typeof(float) ? "float32" : "float64";
    public override int Threads => Options.Threads == 0 ? ComputeContext.ThreadsFor(Options.Layers, Options.Batch) : Options.Threads;
    public override RunState State => _state;
    public override string? Error => _error;
    public override string? StopReason => _state == RunState.Finished ? _run.StopReason : null;
    public override int Epoch => _run.Epoch;
    public override int Position => _position;
    internal override long StateVersion => Interlocked.Read(ref _stateVersion);

    public override Snapshot Snapshot
    {
        get { lock (_lock) return _snapshot; }
    }

    public override void Pause()
    {
        lock (_lock)
        {
            CheckActive("pause");
            _running = false;
            _segment.Cancel();
        }
    }

    public override void Resume()
    {
        lock (_lock)
        {
            CheckActive("resume");
            _running = true;
            SetState(RunState.Running);
            Monitor.PulseAll(_lock);
        }
    }

    public override void Step(int count)
    {
        lock (_lock)
        {
            CheckActive("step");
            if (_running) throw new RunConflictException("the run is training; pause it before stepping one mini-batch at a time");
            _steps += count;
            Monitor.PulseAll(_lock);
        }
    }

    public override void Stop()
    {
        lock (_lock)
        {
            _stop = true;
            _running = false;
            _segment.Cancel();
            Monitor.PulseAll(_lock);
        }
    }

    public override bool Join(TimeSpan timeout) => _thread.Join(timeout);

    private void CheckActive(string what)
    {
        if (_state is RunState.Finished or RunState.Stopped or RunState.Failed)
            throw new RunConflictException($"cannot {what}: the run is {_state.ToString().ToLowerInvariant()}; start a new one");
    }

    private void SetState(RunState state)
    {
        _state = state;
        Interlocked.Increment(ref _stateVersion);
        Changed.Set();
    }

    /// <summary>The training thread: epochs while running, single mini-batches while stepping, waiting while paused.</summary>
    private void Loop()
    {
        try
        {
            while (true)
            {
                lock (_lock)
                {
                    if (_run.Finished) break;
                    if (!_running && !_stop && _steps == 0 && _state != RunState.Paused) SetState(RunState.Paused);
                    while (!_stop && !_running && _steps == 0) Monitor.Wait(_lock);
                    if (_stop) break;
                    _segment = new CancellationTokenSource();
                    _rateTicks = Stopwatch.GetTimestamp();
                    _rateExamples = TotalExamples(_run.Sgd.Position);
                }
                var token = _segment.Token;
                var clock = Stopwatch.StartNew();
                try
                {
                    var r = _run.RunEpoch(Training, Evaluation, _monitor, OnProgress, token);
                    RecordEpoch(r, _partialSeconds + r.TrainSeconds);
                    _partialSeconds = 0;
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    _partialSeconds += clock.Elapsed.TotalSeconds; // an interrupted epoch: its training time so far
                    TakeSnapshot();
                }
            }
            SetState(_stop ? RunState.Stopped : RunState.Finished);
        }
        catch (TrainingDivergedException e)
        {
            _error = e.Message;
            SetState(RunState.Failed);
        }
        catch (Exception e)
        {
            _error = e is NablaException ? e.Message : $"internal error: {e.GetType().Name}: {e.Message}";
            SetState(RunState.Failed);
        }
        finally
        {
            TakeSnapshot();
            _run.Sgd.Dispose(); // its threads; what a save or checkpoint reads (weights, optimiser, generator) stays
        }
    }

    private long TotalExamples(int position) => (long)_run.Epoch * Training.Count + position;

    /// <summary>Called by the trainer after every mini-batch: obey pause, step and stop; copy a snapshot when one is due.</summary>
    private void OnProgress(int done)
    {
        _position = done;
        long now = Stopwatch.GetTimestamp();
        if (!_running)
        {
            // Stepping: cancel after the last requested mini-batch; paused or stopping: at once.
            if (_stop || Interlocked.Decrement(ref _steps) <= 0)
            {
                Interlocked.Exchange(ref _steps, 0);
                _segment.Cancel(); // the loop then takes a snapshot: the steps' result is visible at once
                return;
            }
        }
        if (now - _lastSnapshotTicks >= _snapshotTicks) TakeSnapshot(now);
    }

    private void RecordEpoch(EpochResult r, double trainSeconds)
    {
        var e = r.Evaluation ?? new Evaluation(0, 0, double.NaN);
        double rate = trainSeconds > 0 ? Training.Count / trainSeconds : 0;
        var record = new EpochRecord(r.Epoch, trainSeconds, e.Correct, e.Total, e.Cost, EvaluationName, r.Eta,
            _monitor.HasFlag(MonitoredFigures.TrainingCost) ? r.TrainingCost : null,
            _monitor.HasFlag(MonitoredFigures.TrainingAccuracy) ? r.TrainingAccuracy : null,
            _monitor.HasFlag(MonitoredFigures.EvaluationCost) ? r.EvaluationCost : null,
            _monitor.HasFlag(MonitoredFigures.EvaluationAccuracy) ? r.EvaluationAccuracy : null,
            r.IsBest, e.SameOutputForEveryExample, $"Epoch {r.Epoch}: {e.Correct} / {e.Total}", rate);
        lock (_lock) _epochs.Add(record);
        _position = 0;
        long now = Stopwatch.GetTimestamp();
        if (!_running || now - _lastSnapshotTicks >= _snapshotTicks || _run.Finished) TakeSnapshot(now);
    }

    private void TakeSnapshot() => TakeSnapshot(Stopwatch.GetTimestamp());

    private void TakeSnapshot(long now)
    {
        if (_running && now > _rateTicks)
        {
            long examples = TotalExamples(_position);
            double seconds = (double)(now - _rateTicks) / Stopwatch.Frequency;
            if (examples > _rateExamples && seconds > 0) _examplesPerSecond = (examples - _rateExamples) / seconds;
            (_rateTicks, _rateExamples) = (now, examples);
        }
        long version = _snapshot.Version + 1;
        var copy = Copy(version);
        lock (_lock) _snapshot = copy;
        _lastSnapshotTicks = now;
        Changed.Set();
    }

    // Between mini-batches, on the training thread: the kernels are not writing.
    private Snapshot Copy(long version)
    {
        var clone = _run.Sgd.Network.Clone();
        return new Snapshot(version, _run.Epoch, _position, clone, () => clone as Network<double> ?? clone.Convert<double>());
    }

    /// <summary>The snapshot's network in the run's own precision (for fast evaluation on many examples).</summary>
    internal static Network<T> NetworkOf(Snapshot s) => (Network<T>)s.Typed;

    public override (EpochRecord[] Epochs, ProgressRecord[] Progress) History()
    {
        lock (_lock) return (_epochs.ToArray(), _progress.ToArray());
    }

    internal override (EpochRecord[] NewEpochs, int Total) EpochsSince(int known, int max)
    {
        lock (_lock)
        {
            int from = Math.Max(known, _epochs.Count - max);
            return (_epochs.GetRange(from, Math.Max(0, _epochs.Count - from)).ToArray(), _epochs.Count);
        }
    }

    /// <summary>
    /// On the publisher's thread: the live figures of the latest snapshot, or null when there is none newer than
    /// <paramref name="sinceSnapshot"/>. Reads only the snapshot's copy of the network.
    /// </summary>
    internal override ProgressRecord? MeasureProgress(long sinceSnapshot)
    {
        var s = Snapshot;
        if (s.Version <= sinceSnapshot) return null;
        var network = NetworkOf(s);
        var penalty = _run.Sgd.Regularization;
        var onEvaluation = Sgd<T>.Evaluate(network, Cost, _evaluationSample);
        var onTraining = Sgd<T>.Evaluate(network, Cost, _trainingSample);
        var saturation = Saturation.Measure(network, Cost, Training, _saturationSample);
        var record = new ProgressRecord(s.Epoch + (double)s.Position / Training.Count, s.Position, Training.Count, _examplesPerSecond, s.Version,
            onEvaluation.Accuracy, onEvaluation.Cost + penalty.Penalty(network, Evaluation.Count), onEvaluation.Total,
            onTraining.Accuracy, onTraining.Cost + penalty.Penalty(network, Training.Count), onTraining.Total,
            saturation.Layers.Select(l => new LayerFigures(l.Layer, l.SaturatedFraction, l.InactiveInputFraction, l.MeanAbsDelta, l.WeightGradientNorm, l.BiasGradientNorm)).ToArray());
        lock (_lock)
        {
            _progress.Add(record);
            if (_progress.Count > 4000) _progress.RemoveRange(0, 1000); // a long run keeps its latest points
        }
        return record;
    }

    public override void SaveCheckpoint(string directory) => Checkpoint.Save(_run, directory, Options.ToTrainArguments());

    public override void SaveModel(string path) => ModelFile.Save(NetworkOf(Snapshot), Cost, path);
}

/// <summary>A request that conflicts with the run's state (a second run while one trains; a step while it runs): 409.</summary>
public sealed class RunConflictException(string message) : NablaException(message);
