using System.Diagnostics;
using Nabla.Studio.Http;

namespace Nabla.Studio.Engine;

/// <summary>
/// Owns the one training run of the server and its publisher: the thread that turns the run's snapshots and epoch
/// records into events for every viewer, a few times a second. The publisher measures the live figures on the
/// snapshot's copy of the network, and keeps its own work to a small share of one core, so that watching does not
/// slow training. Everything the Studio asks of the library goes through this folder (Engine/).
/// </summary>
public sealed class RunHost : IDisposable
{
    /// <summary>The publisher computes at most this share of the time (live figures on samples), whatever the network's size.</summary>
    private const double PublisherDutyCycle = 0.02;
    /// <summary>At most this many epoch events per publication: tiny Playground epochs end thousands of times a second.</summary>
    private const int MaxEpochEventsPerTick = 20;

    private readonly StudioSettings _settings;
    private readonly EventHub _hub;
    private readonly object _lock = new();
    private readonly Thread _publisher;
    private readonly AutoResetEvent _wake = new(false);
    private volatile bool _disposed;
    private StudioRun? _current;

    public RunHost(StudioSettings settings, StudioData data, EventHub hub)
    {
        (_settings, Data, _hub) = (settings, data, hub);
        _publisher = new Thread(Publish) { IsBackground = true, Name = "Nabla Studio publisher" };
        _publisher.Start();
    }

    public StudioData Data { get; }

    public StudioRun? Current
    {
        get { lock (_lock) return _current; }
    }

    public StudioRun CurrentOrThrow => Current ?? throw new NoRunException();

    /// <summary>Starts a run (or creates it paused); 409 while another trains. A paused, finished or stopped run is replaced.</summary>
    public StudioRun Start(RunOptions options)
    {
        lock (_lock)
        {
            if (_current is { State: RunState.Running } running)
                throw new RunConflictException($"run {running.Id} is training (epoch {running.Epoch}); pause or stop it first (POST /api/runs/current/stop)");
            _current?.Stop();
            _current = StudioRun.Create(options, Data, _settings.Limits, _settings.SnapshotInterval);
        }
        _wake.Set();
        return _current;
    }

    /// <summary>Saves the current network (its latest snapshot) where --out or the server's folder says; returns the path.</summary>
    public string SaveModel()
    {
        var run = CurrentOrThrow;
        string path = _settings.Out ?? Path.Combine(_settings.Folder, $"nabla-studio-run{run.Id}-epoch{run.Snapshot.Epoch}.safetensors");
        run.SaveModel(path);
        return Path.GetFullPath(path);
    }

    /// <summary>
    /// Ctrl-C: stops the run after its current mini-batch and, when it was in progress on MNIST-format data, writes a
    /// checkpoint `nabla train --resume` continues from (as `nabla train` does when interrupted). Returns its folder.
    /// </summary>
    public string? Shutdown()
    {
        var run = Current;
        string? directory = null;
        if (run is not null && run.State is RunState.Running or RunState.Paused)
        {
            run.Stop();
            run.Join(TimeSpan.FromSeconds(30));
            if (run.Toy is null && (run.Epoch > 0 || run.Position > 0))
            {
                directory = _settings.Checkpoint ?? Path.Combine(_settings.Folder, $"nabla-interrupted-{DateTime.Now:yyyyMMdd-HHmmss}");
                run.SaveCheckpoint(directory);
            }
        }
        Dispose();
        return directory;
    }

    /// <summary>GET /api/runs/current and the 202 of POST /api/runs: the run, its state and (optionally) its history.</summary>
    public static object Describe(StudioRun run, bool history)
    {
        var snapshot = run.Snapshot;
        object? past = null;
        if (history)
        {
            var (epochs, progress) = run.History();
            past = new { epochs = Thin(epochs, 2000), progress = Thin(progress, 2000) };
        }
        return new
        {
            id = run.Id, state = run.State.ToString().ToLowerInvariant(), error = run.Error, stop_reason = run.StopReason,
            epoch = run.Epoch, position = run.Position, examples_per_epoch = run.Training.Count, snapshot = snapshot.Version,
            layers = run.Sizes, activations = run.ActivationNames, cost = run.Cost.Name, precision = run.Precision, threads = run.Threads,
            data = new { description = run.DataDescription, training = run.Training.Count, evaluation = run.Evaluation.Count, evaluated_on = run.EvaluationName, playground = run.Toy?.Name },
            options = run.Options, history = past,
        };
    }

    // A long run's records, evenly thinned to at most `max` (the last one always kept).
    private static T[] Thin<T>(T[] items, int max)
    {
        if (items.Length <= max) return items;
        double step = (double)items.Length / max;
        return Enumerable.Range(0, max).Select(i => items[Math.Min(items.Length - 1, (int)Math.Round((i + 1) * step) - 1)]).ToArray();
    }

    /// <summary>The publisher: events from the current run, never more often than the snapshot interval, never blocking the run.</summary>
    private void Publish()
    {
        LowerPriority();
        StudioRun? run = null;
        int epochsSent = 0;
        long snapshotSent = 0, stateSent = -1;
        double previousSpent = 0;
        var interval = _settings.SnapshotInterval;
        while (!_disposed)
        {
            var current = Current;
            if (current != run) (run, epochsSent, snapshotSent, stateSent) = (current, 0, 0, -1);
            if (run is null)
            {
                _wake.WaitOne(interval);
                continue;
            }
            WaitHandle.WaitAny([_wake, run.Changed], interval);
            if (_disposed) break;
            var clock = Stopwatch.StartNew();
            try
            {
                var (epochs, total) = run.EpochsSince(epochsSent, MaxEpochEventsPerTick);
                foreach (var e in epochs) _hub.Publish("epoch", e);
                epochsSent = total;
                if (_hub.ClientCount > 0 || run.State != RunState.Running)
                {
                    if (run.MeasureProgress(snapshotSent) is { } progress)
                    {
                        _hub.Publish("progress", progress);
                        snapshotSent = progress.Snapshot;
                    }
                }
                if (run.StateVersion != stateSent)
                {
                    stateSent = run.StateVersion;
                    _hub.Publish("state", Describe(run, history: false));
                }
            }
            catch (Exception e) when (e is NablaException or InvalidOperationException)
            {
                _hub.Publish("error", new { error = e.Message });
            }
            // Keep the live figures to a small share of the time: a large network's estimates take longer, so come less often.
            // The lesser of the last two measurements: the first ones run while the JIT compiles and would idle the publisher for seconds.
            double spent = Math.Min(clock.Elapsed.TotalSeconds, previousSpent);
            previousSpent = clock.Elapsed.TotalSeconds;
            var rest = Stopwatch.StartNew();
            double wait = Math.Min(5, spent * (1 / PublisherDutyCycle - 1)) - interval.TotalSeconds;
            while (rest.Elapsed.TotalSeconds < wait && run.State == RunState.Running && !_disposed) Thread.Sleep(20);
        }
    }

    /// <summary>
    /// The publisher's work (live figures, serialising events) should use a core only when training leaves one idle: on
    /// Linux a thread has its own nice value, and 19 gives it about 1/70 of a core that training also wants. Elsewhere,
    /// or if refused, it keeps the default priority.
    /// </summary>
    private static void LowerPriority()
    {
        if (!OperatingSystem.IsLinux()) return;
        try { _ = SetPriority(0 /* PRIO_PROCESS: for a thread id, that thread */, GetThreadId(), 19); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetThreadId();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Current?.Stop();
        _wake.Set();
        _hub.CompleteAll();
    }
}

/// <summary>No run exists yet: 404.</summary>
public sealed class NoRunException() : NablaException("no run yet: start one with POST /api/runs (\"paused\": true creates the network without training it)");
