using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Nabla.Data;
using Nabla.Kernels;

namespace Nabla;

/// <summary>
/// A change made to an input row as it is gathered into a mini-batch (chapter 3's expanded data: <see cref="ImageExpansion"/>).
/// Called from the gathering threads, several at once: it must not change shared state, and it takes any randomness from
/// (<c>draw</c>, <c>example</c>) alone, so that the row it makes does not depend on which thread gathers it, or when.
/// </summary>
internal interface IInputTransform
{
    /// <summary>
    /// <paramref name="output"/> = the row the network sees for example <paramref name="example"/>, whose stored row is
    /// <paramref name="input"/> (same length), under <paramref name="draw"/> (the same for every row of an epoch).
    /// </summary>
    void Transform(ReadOnlySpan<float> input, Span<float> output, int example, ulong draw);
}

/// <summary>
/// The batching component of training: fills a <see cref="MiniBatch{T}"/> with examples of a <see cref="Dataset"/> (inputs as
/// rows, converted from 8-bit pixels where the data keeps them; targets as rows, one-hot for classes, through
/// <see cref="Dataset.GatherTargets{T}"/> for real values). Three ways, the same rows every time:
/// <list type="bullet">
/// <item>in line, by the threads of the products: a gather mostly waits on memory for scattered rows, and two cores wait for
/// twice as many at once (<see cref="Load"/>), fetching the next batch's rows into the cache meanwhile;</item>
/// <item>ahead, on a helper thread, while the current batch computes (<see cref="StartLoading"/>, <see cref="FinishLoading"/>):
/// for a one-thread run, whose step (20 µs at [784,30,10], m = 10) would otherwise wait some 3 µs on memory. The helper
/// parks when idle and the caller does a gather the helper has not started itself, so a helper kept off the CPU by a busy
/// machine never holds training up;</item>
/// <item><see cref="Gather"/>: on the calling thread alone.</item>
/// </list>
/// A <see cref="Transform"/>, when set, changes each row as it is gathered. Owns the helper thread: <see cref="Dispose"/> ends it.
/// </summary>
internal sealed class MiniBatchLoader<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _inputs, _outputs, _capacity;
    private readonly ComputeContext _context;
    private readonly Rows _rows;              // this thread's scratch
    private readonly ParallelGather? _parallel;
    private Helper? _helper;

    /// <param name="sizes">The network's layer sizes: inputs, …, outputs.</param>
    /// <param name="capacity">The most examples of a batch.</param>
    /// <param name="context">The threads of the products; with more than one, in-line gathers are shared among them.</param>
    public MiniBatchLoader(IReadOnlyList<int> sizes, int capacity, ComputeContext context)
    {
        (_inputs, _outputs, _capacity, _context) = (sizes[0], sizes[^1], capacity, context);
        _rows = new Rows(_inputs);
        if (context.Threads > 1) _parallel = new ParallelGather(this, context);
    }

    /// <summary>Changes each input row as it is gathered; null (the default) leaves rows as stored.</summary>
    public IInputTransform? Transform { get; set; }

    /// <summary>Gathers the examples <paramref name="indices"/> of <paramref name="data"/> into <paramref name="batch"/> now, then starts fetching the rows of <paramref name="next"/> into the cache.</summary>
    /// <remarks><paramref name="draw"/> is given to the <see cref="Transform"/> with each row.</remarks>
    public void Load(MiniBatch<T> batch, Dataset data, ReadOnlySpan<int> indices, ReadOnlySpan<int> next = default, ulong draw = 0)
    {
        CheckBatch(batch, data, indices.Length);
        var (inputs, targets) = batch.Buffers;
        if (_parallel is not null && indices.Length >= 2 * _context.Threads)
            _parallel.Run(data, indices, inputs, draw);
        else
            GatherRows(data, indices, inputs, 0, _rows, draw);
        GatherTargets(data, indices, targets);
        batch.Resize(indices.Length);
        if (!next.IsEmpty)
        {
            if (data.Pixels is { } pixels) Kernels.Gather.Prefetch<byte>(pixels, _inputs, next);
            else Kernels.Gather.Prefetch<float>(data.Inputs, _inputs, next);
        }
    }

    /// <summary>Starts gathering the examples order[start .. start + count) on the helper thread (started on first use).</summary>
    public void StartLoading(Dataset data, int[] order, int start, int count, ulong draw = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckShape(data, count);
        var helper = _helper ??= Helper.Start(this);
        helper.Post(data, order, start, count, draw, Transform);
    }

    /// <summary>For tests: while unset, the helper claims no request (so the caller must take it over).</summary>
    internal ManualResetEventSlim? HelperGate
    {
        set => (_helper ??= Helper.Start(this)).Gate = value;
    }

    /// <summary>How many requests the caller gathered itself because the helper had not started them.</summary>
    internal int TakenOver => _helper?.TakenOver ?? 0;

    /// <summary>The batch asked for by <see cref="StartLoading"/>, swapped into <paramref name="batch"/> without a copy; rethrows what its gather threw.</summary>
    public void FinishLoading(MiniBatch<T> batch)
    {
        var helper = _helper is { Pending: true } h ? h : throw new InvalidOperationException("no batch is being loaded");
        helper.Finish(_rows);
        batch.SwapIn(ref helper.Inputs, ref helper.Targets, helper.Size);
    }

    /// <summary>Waits for a load under way, if any, and drops it (an epoch ended early: cancelled, or diverged).</summary>
    public void Cancel()
    {
        try { _helper?.Finish(_rows); }
        catch (Exception) { } // the batch is not wanted; its error is the caller's concern no longer
    }

    /// <summary>The examples <paramref name="indices"/> into <paramref name="batch"/>, on this thread.</summary>
    public static void Gather(MiniBatch<T> batch, Dataset data, ReadOnlySpan<int> indices)
    {
        CheckShape(data, indices.Length, batch.Capacity, batch.Network.Sizes[0], batch.Network.Sizes[^1]);
        var (inputs, targets) = batch.Buffers;
        int width = batch.Network.Sizes[0];
        var rows = t_rows is { } cached && cached.Width == width ? cached : t_rows = new Rows(width);
        GatherRows(data, indices, inputs, 0, rows, 0, transform: null);
        GatherTargets(data, indices, targets, batch.Network.Sizes[^1]);
        batch.Resize(indices.Length);
    }

    [ThreadStatic] private static Rows? t_rows;

    private bool _disposed;

    public void Dispose()
    {
        _disposed = true;
        _helper?.Stop();
        GC.SuppressFinalize(this);
    }

    // The helper references only its own state, so an abandoned loader is collected and this stops the thread.
    ~MiniBatchLoader() => _helper?.Stop();

    private void CheckBatch(MiniBatch<T> batch, Dataset data, int count)
    {
        if (batch.Capacity != _capacity || batch.Network.Sizes[0] != _inputs || batch.Network.Sizes[^1] != _outputs)
            throw new ArgumentException("the batch was made for another network or batch size", nameof(batch));
        CheckShape(data, count);
    }

    private void CheckShape(Dataset data, int count) => CheckShape(data, count, _capacity, _inputs, _outputs);

    private static void CheckShape(Dataset data, int count, int capacity, int inputs, int outputs)
    {
        if (count < 1 || count > capacity) throw new ArgumentOutOfRangeException(nameof(count), count, $"a batch holds 1 to {capacity} examples");
        if (data.InputSize != inputs)
            throw new NablaException($"the data has {data.InputSize} inputs per example but the network's input layer has {inputs} neurons");
        if (data.IsClassification ? data.ClassCount > outputs : data.OutputSize != outputs)
            throw new NablaException(data.IsClassification
                ? $"the data has {data.ClassCount} classes but the output layer has {outputs} neurons"
                : $"the data has {data.OutputSize} target values per example but the output layer has {outputs} neurons");
    }

    private void GatherRows(Dataset data, ReadOnlySpan<int> indices, T[] inputs, int firstRow, Rows rows, ulong draw) =>
        GatherRows(data, indices, inputs, firstRow, rows, draw, Transform);

    private void GatherTargets(Dataset data, ReadOnlySpan<int> indices, T[] targets) => GatherTargets(data, indices, targets, _outputs);

    /// <summary>Input rows firstRow … of <paramref name="inputs"/> = the rows <paramref name="indices"/> of the data (as the network sees them).</summary>
    private static void GatherRows(Dataset data, ReadOnlySpan<int> indices, T[] inputs, int firstRow, Rows rows, ulong draw, IInputTransform? transform)
    {
        int width = data.InputSize;
        var destination = inputs.AsSpan(firstRow * width, indices.Length * width);
        if (transform is null)
        {
            if (data.Pixels is { } pixels) Kernels.Gather.RowsFromPixels(pixels, width, indices, destination, rows.Converted);
            else Kernels.Gather.Rows(data.Inputs, width, indices, destination);
            return;
        }
        for (int i = 0; i < indices.Length; i++)
        {
            var one = indices.Slice(i, 1);
            // The stored row as floats, then transformed: into the batch for float, else into scratch and converted to T.
            if (data.Pixels is { } pixels) Kernels.Gather.RowsFromPixels<float>(pixels, width, one, rows.Stored, default);
            else Kernels.Gather.Rows<float>(data.Inputs, width, one, rows.Stored);
            var to = destination.Slice(i * width, width);
            if (typeof(T) == typeof(float))
                transform.Transform(rows.Stored, MemoryMarshal.Cast<T, float>(to), one[0], draw);
            else
            {
                transform.Transform(rows.Stored, rows.Converted, one[0], draw);
                TensorPrimitives.ConvertTruncating<float, T>(rows.Converted, to);
            }
        }
    }

    /// <summary>y for each example: its class one-hot over the output layer (a class count below the output width leaves the rest 0), or its row of values.</summary>
    private static void GatherTargets(Dataset data, ReadOnlySpan<int> indices, T[] targets, int outputs)
    {
        var destination = targets.AsSpan(0, indices.Length * outputs);
        if (data.IsClassification) Kernels.Gather.OneHot(data.Labels, indices, destination, outputs);
        else data.GatherTargets(indices, destination);
    }

    /// <summary>One gathering thread's scratch rows: the stored row as floats, and the converted (or transformed) one.</summary>
    private sealed class Rows(int width)
    {
        public readonly int Width = width;
        public readonly float[] Stored = new float[width];
        public readonly float[] Converted = new float[width];
    }

    /// <summary>An in-line gather split by examples across the threads of the products, each into its own rows of the batch.</summary>
    private sealed class ParallelGather : ParallelWork
    {
        private readonly MiniBatchLoader<T> _loader;
        private readonly ComputeContext _context;
        private readonly int[] _indices;
        private readonly Rows[] _rows;
        private Dataset? _data;
        private T[] _inputs = [];
        private int _count;
        private ulong _draw;

        public ParallelGather(MiniBatchLoader<T> loader, ComputeContext context)
        {
            (_loader, _context) = (loader, context);
            _indices = new int[loader._capacity];
            _rows = Enumerable.Range(0, context.Threads).Select(_ => new Rows(loader._inputs)).ToArray();
        }

        public void Run(Dataset data, ReadOnlySpan<int> indices, T[] inputs, ulong draw)
        {
            indices.CopyTo(_indices);
            (_data, _inputs, _count, _draw) = (data, inputs, indices.Length, draw);
            try { _context.RunUnwrapped(this); }
            finally { (_data, _inputs) = (null, []); }
        }

        public override void Execute(int part, int parts)
        {
            var (start, end) = ComputeContext.Partition(_count, part, parts, 1);
            _loader.GatherRows(_data!, _indices.AsSpan(start, end - start), _inputs, start, _rows[part], _draw);
        }
    }

    /// <summary>
    /// The load-ahead thread and the one request it serves at a time. A request is posted, then claimed by exactly one of
    /// the helper and the caller (who takes it over when the helper has not started it by the time the batch is needed),
    /// and done. The helper spins for <see cref="SpinBeforeParking"/> after a gather, then parks until the next post.
    /// </summary>
    private sealed class Helper
    {
        private const int Idle = 0, Requested = 1, Claimed = 2, Done = 3;

        /// <summary>How long the helper waits for the next request on the CPU before it parks.</summary>
        public static readonly TimeSpan SpinBeforeParking = TimeSpan.FromMilliseconds(2);

        /// <summary>A pause this long in the helper's spin loop means the system gave its core to another thread.</summary>
        public static readonly TimeSpan PreemptedAfter = TimeSpan.FromMicroseconds(50);

        /// <summary>How long the helper parks at once, without spinning, after it saw that the machine is busy.</summary>
        public static readonly TimeSpan ParkFor = TimeSpan.FromMilliseconds(200);

        private readonly int _outputs;
        private readonly Rows _rows;
        private readonly object _gate = new();
        private int _state;
        private int _parked;
        private long _restUntil; // while the machine is busy: the helper parks and the caller gathers, with no wake-up to pay
        private volatile bool _stopped;
        private Dataset? _data;
        private int[] _order = [];
        private int _start;
        private ulong _draw;
        private IInputTransform? _transform;
        private Exception? _failure;

        public T[] Inputs, Targets;
        public int Size;
        public int TakenOver;
        public ManualResetEventSlim? Gate;

        private Helper(int inputs, int outputs, int capacity)
        {
            _outputs = outputs;
            _rows = new Rows(inputs);
            Inputs = new T[capacity * inputs];
            Targets = new T[capacity * outputs];
        }

        /// <summary>A helper for <paramref name="loader"/>'s shapes, its thread started. The thread holds the helper, not the loader.</summary>
        public static Helper Start(MiniBatchLoader<T> loader)
        {
            var helper = new Helper(loader._inputs, loader._outputs, loader._capacity);
            new Thread(helper.Loop) { IsBackground = true, Name = "Nabla batch loader" }.Start();
            return helper;
        }

        public bool Pending => _state != Idle;

        public void Post(Dataset data, int[] order, int start, int count, ulong draw, IInputTransform? transform)
        {
            if (_state != Idle) throw new InvalidOperationException("a batch is already being loaded");
            (_data, _order, _start, Size, _draw, _transform) = (data, order, start, count, draw, transform);
            Interlocked.Exchange(ref _state, Requested); // a full fence: the request is visible before the state, and _parked is read after it
            if (Volatile.Read(ref _parked) != 0 && Stopwatch.GetTimestamp() >= Volatile.Read(ref _restUntil))
                lock (_gate) Monitor.PulseAll(_gate);
        }

        /// <summary>The caller's side: does the request itself if the helper has not claimed it, else waits for it.</summary>
        public void Finish(Rows callerRows)
        {
            int state = Volatile.Read(ref _state);
            if (state == Idle) return;
            if (state == Requested && Interlocked.CompareExchange(ref _state, Claimed, Requested) == Requested)
            {
                TakenOver++;
                Serve(callerRows);
            }
            else
                WaitUntilDone();
            _state = Idle;
            (_data, _transform) = (null, null);
            if (_failure is { } e)
            {
                _failure = null;
                ExceptionDispatchInfo.Throw(e);
            }
        }

        public void Stop()
        {
            _stopped = true;
            lock (_gate) Monitor.PulseAll(_gate);
        }

        private void Serve(Rows rows)
        {
            try
            {
                var indices = _order.AsSpan(_start, Size);
                GatherRows(_data!, indices, Inputs, 0, rows, _draw, _transform);
                GatherTargets(_data!, indices, Targets, _outputs);
            }
            catch (Exception e) { _failure = e; }
            Volatile.Write(ref _state, Done);
        }

        // A claimed gather takes microseconds; spin for it, and let the helper have the core if it shares this one.
        private void WaitUntilDone()
        {
            int spins = 0;
            while (Volatile.Read(ref _state) != Done)
            {
                if (++spins % 64 == 0) Thread.Yield();
                else Thread.SpinWait(1);
            }
        }

        /// <summary>
        /// Waits for each request and serves it. Between requests the helper spins, as a step is far too short to park and
        /// wake a thread for, unless the machine is busy: a gap of more than <see cref="PreemptedAfter"/> between two turns
        /// of the spin loop means the system took the core away, and a spinning helper would then take time from the training
        /// thread (or from whoever else needs the core). Then, for <see cref="ParkFor"/>, it parks and is not woken: the caller
        /// gathers each batch itself, as without a loader. The first post after that wakes it to try again.
        /// </summary>
        private void Loop()
        {
            long parkAfter = (long)(SpinBeforeParking.TotalSeconds * Stopwatch.Frequency);
            long preempted = (long)(PreemptedAfter.TotalSeconds * Stopwatch.Frequency);
            long parkUntil = 0;
            while (!_stopped)
            {
                long last = Stopwatch.GetTimestamp(), idleSince = last;
                while (Volatile.Read(ref _state) != Requested)
                {
                    if (_stopped) return;
                    long now = Stopwatch.GetTimestamp();
                    if (now - last > preempted) Volatile.Write(ref _restUntil, parkUntil = now + (long)(ParkFor.TotalSeconds * Stopwatch.Frequency));
                    if (now < parkUntil || now - idleSince > parkAfter)
                    {
                        Park();
                        idleSince = Stopwatch.GetTimestamp();
                    }
                    last = Stopwatch.GetTimestamp();
                    Thread.SpinWait(1);
                }
                Gate?.Wait();
                if (Interlocked.CompareExchange(ref _state, Claimed, Requested) == Requested)
                    Serve(_rows);
            }
        }

        private void Park()
        {
            lock (_gate)
            {
                Interlocked.Increment(ref _parked); // a full fence: Post either sees the count or we see its request
                while (Volatile.Read(ref _state) != Requested && !_stopped)
                    Monitor.Wait(_gate);
                Interlocked.Decrement(ref _parked);
            }
        }
    }
}
