namespace Nabla.Kernels;

/// <summary>Work cut into a fixed number of parts; part p always runs on thread p of a <see cref="ComputeContext"/>.</summary>
public abstract class ParallelWork
{
    /// <summary>Does part <paramref name="part"/> of <paramref name="parts"/>. Parts must not write the same memory.</summary>
    public abstract void Execute(int part, int parts);
}

/// <summary>
/// A fixed team of threads for the few-microsecond steps of mini-batch training: the calling thread plus
/// <see cref="Threads"/> − 1 persistent workers. Between steps a worker spins (a step is too short to park and
/// wake a thread for), and parks after <see cref="SpinBeforeParking"/> without work. <see cref="Run"/> allocates
/// nothing. The split of the work is fixed by the thread count, never by timing, so results are deterministic.
/// Workers end on <see cref="Dispose"/>, or when the context is collected.
/// </summary>
public sealed class ComputeContext : IDisposable
{
    /// <summary>How long an idle worker spins before it parks.</summary>
    public static readonly TimeSpan SpinBeforeParking = TimeSpan.FromMilliseconds(2);

    /// <summary>The single-threaded context: <see cref="Run"/> just calls the work.</summary>
    public static ComputeContext Serial { get; } = new(1);

    private readonly Team? _team;

    /// <summary>Number of threads, the caller's included.</summary>
    public int Threads { get; }

    /// <summary>How many times work was cut into parts for more than one thread, run by the team or <see cref="Solo"/> (a count the tests read to know that work was really split).</summary>
    internal long SplitRuns { get; private set; }

    /// <summary>A team of <paramref name="threads"/> threads: the caller and <paramref name="threads"/> − 1 workers, started now.</summary>
    /// <param name="threads">1 to 64; 1 starts no thread.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is outside 1 to 64.</exception>
    public ComputeContext(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, 64);
        Threads = threads;
        if (threads > 1) _team = new Team(threads);
    }

    /// <summary>Runs part 0 of <paramref name="work"/> here and parts 1 … Threads − 1 on the workers; returns when all are done.</summary>
    /// <exception cref="AggregateException">A part threw (on a team of threads; the first failure is inside).</exception>
    /// <exception cref="ObjectDisposedException">The context, of more than one thread, was disposed.</exception>
    public void Run(ParallelWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (_team is null) work.Execute(0, 1);
        else if (Solo)
        {
            SplitRuns++;
            // The same parts, one after the other: the same numbers as the team computes.
            for (int part = 0; part < Threads; part++) work.Execute(part, Threads);
        }
        else
        {
            SplitRuns++;
            _team.Run(work);
        }
    }

    /// <summary>
    /// While true, <see cref="Run"/> does every part on the calling thread, one after the other, and the workers idle (they
    /// spin briefly, then park). The parts are the same, so the results are too: a trainer can switch when the other cores are
    /// busy (see <see cref="TeamOrSolo"/>).
    /// </summary>
    internal bool Solo { get; set; }

    /// <summary>As <see cref="Run"/>, but a part's exception reaches the caller as itself rather than inside an <see cref="AggregateException"/>.</summary>
    internal void RunUnwrapped(ParallelWork work)
    {
        try { Run(work); }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException!); }
    }

    /// <summary>
    /// How many threads pay for training <paramref name="sizes"/> with mini-batches of <paramref name="batch"/>: every core
    /// when a step has at least half a million multiply-adds (each thread then works several microseconds between meetings),
    /// else 1. Measured on a 2-core machine (`nabla bench`, minimum epoch): [784,100,10] at m = 10 (0.79 M a step) 0.26–0.29 s
    /// on two threads against 0.27–0.32 s on one (with the batch loader); [784,1000,1000,10] at m = 100 (179 M) 1.5× faster
    /// on two; while [784,30,10] at m = 10 (0.24 M) only waited on the meetings.
    /// </summary>
    public static int ThreadsFor(IReadOnlyList<int> sizes, int batch)
    {
        long multiplyAdds = 0;
        for (int l = 1; l < sizes.Count; l++) multiplyAdds += (long)sizes[l] * sizes[l - 1];
        return multiplyAdds * batch >= 500_000 ? Math.Clamp(Environment.ProcessorCount, 1, 64) : 1;
    }

    /// <summary>
    /// Part <paramref name="part"/> of [0, <paramref name="count"/>) cut into <paramref name="parts"/>: whole
    /// multiples of <paramref name="align"/> shared out evenly, the remainder to the last part.
    /// </summary>
    public static (int Start, int End) Partition(int count, int part, int parts, int align)
    {
        int units = count / align;
        int start = (int)((long)units * part / parts) * align;
        int end = part == parts - 1 ? count : (int)((long)units * (part + 1) / parts) * align;
        return (start, end);
    }

    /// <summary>Stops the workers; a later <see cref="Run"/> on more than one thread throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _team?.Stop();
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops the workers of a context that was never disposed.</summary>
    // The workers reference only the team, so an abandoned context is collected and its finalizer stops them.
    ~ComputeContext() => _team?.Stop();

    private sealed class Team
    {
        private readonly int _threads;
        private readonly Worker[] _workers;
        private readonly IdleWait _idle = new();
        private ParallelWork? _work;
        private long _generation;   // incremented once per Run; workers wait for it to change
        private volatile bool _stopped;

        public Team(int threads)
        {
            _threads = threads;
            _workers = new Worker[threads - 1];
            for (int i = 0; i < _workers.Length; i++)
            {
                var worker = _workers[i] = new Worker();
                int part = i + 1;
                new Thread(() => Loop(worker, part)) { IsBackground = true, Name = $"Nabla compute {part}" }.Start();
            }
        }

        public void Run(ParallelWork work)
        {
            if (_stopped) throw new ObjectDisposedException(nameof(ComputeContext));
            _work = work;
            long generation = Interlocked.Increment(ref _generation); // a full fence: _work is visible before the new generation
            _idle.Wake();
            Exception? failure = null;
            try { work.Execute(0, _threads); }
            catch (Exception e) { failure = e; }
            for (int i = 0; i < _workers.Length; i++)
            {
                var worker = _workers[i];
                // A part not yet started (its worker descheduled, say) is done here: the same code on the same data,
                // so which thread runs a part never changes a result.
                if (worker.TryClaim(generation))
                {
                    try { work.Execute(i + 1, _threads); }
                    catch (Exception error) { failure ??= error; }
                    continue;
                }
                IdleWait.SpinUntil((worker, generation), static s => Volatile.Read(ref s.worker.Completed) == s.generation);
                if (worker.Failure is { } e)
                {
                    worker.Failure = null;
                    failure ??= e;
                }
            }
            _work = null;
            if (failure is not null) throw new AggregateException("a part of a parallel kernel failed", failure);
        }

        public void Stop()
        {
            _stopped = true;
            Interlocked.Increment(ref _generation);
            _idle.WakeAll();
        }

        private void Loop(Worker worker, int part)
        {
            long seen = 0;
            while (true)
            {
                _idle.Until((team: this, seen), static s => Volatile.Read(ref s.team._generation) != s.seen);
                long generation = Volatile.Read(ref _generation);
                if (_stopped) return;
                seen = generation;
                if (!worker.TryClaim(generation)) continue; // the caller did this part already
                try { _work!.Execute(part, _threads); }
                catch (Exception e) { worker.Failure = e; }
                Volatile.Write(ref worker.Completed, generation);
            }
        }
    }

    private sealed class Worker
    {
        public long Completed;      // the last generation this worker finished
        public long Claimed;        // the last generation whose part someone started
        public Exception? Failure;

        /// <summary>True for exactly one of the threads that try to start this worker's part of <paramref name="generation"/>.</summary>
        public bool TryClaim(long generation)
        {
            long previous = Volatile.Read(ref Claimed);
            return previous < generation && Interlocked.CompareExchange(ref Claimed, generation, previous) == previous;
        }
        // Keep Completed of different workers on different cache lines.
#pragma warning disable CS0169
        private readonly long _pad0, _pad1, _pad2, _pad3, _pad4, _pad5, _pad6;
#pragma warning restore CS0169
    }
}
