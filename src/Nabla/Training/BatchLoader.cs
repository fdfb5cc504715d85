using System.Diagnostics;
using System.Numerics;
using System.Runtime.ExceptionServices;
using Nabla.Data;

namespace Nabla;

/// <summary>
/// The input pipeline of a one-thread run: a helper thread gathers the next mini-batch (ten scattered rows of pixels,
/// converted to inputs, and the one-hot targets) while the current one computes, and <see cref="TakeInto"/> swaps it
/// into the batch without a copy. At m = 10 the gather waits on memory for about 3 µs of a 20 µs step; on a second core
/// that wait leaves the critical path. The loaded data are the same either way, so results do not change.
/// One request at a time; used by one training thread. The helper spins briefly between requests (a step is far too
/// short to park and wake a thread for), parks when idle, and ends when the loader is collected.
/// </summary>
internal sealed class BatchLoader<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Channel _channel;
    private bool _pending;

    public BatchLoader(MiniBatch<T> batch)
    {
        _channel = new Channel(batch, batch.CreateStaging());
        var channel = _channel; // the thread holds the channel only, so an abandoned loader is collected and stops it
        new Thread(() => channel.Loop()) { IsBackground = true, Name = "Nabla batch loader" }.Start();
    }

    ~BatchLoader() => _channel.Stop();

    /// <summary>Starts gathering the examples order[start .. start + count) of <paramref name="data"/>.</summary>
    public void Request(Dataset data, int[] order, int start, int count)
    {
        if (_pending) throw new InvalidOperationException("a batch is already being loaded");
        _pending = true;
        _channel.Post(data, order, start, count);
    }

    /// <summary>Waits for the requested batch and swaps it into <paramref name="batch"/>; rethrows what the gather threw.</summary>
    public void TakeInto(MiniBatch<T> batch)
    {
        if (!_pending) throw new InvalidOperationException("no batch was requested");
        _pending = false;
        _channel.WaitDone();
        batch.SwapIn(_channel.Staged);
    }

    /// <summary>Waits for a request still under way and drops its batch (an epoch ended early: cancelled, or diverged).</summary>
    public void Drain()
    {
        if (!_pending) return;
        _pending = false;
        try { _channel.WaitDone(); }
        catch (Exception) { } // the batch is not wanted; its error is the caller's concern no longer
    }

    private sealed class Channel(MiniBatch<T> batch, StagedInputs<T> staged)
    {
        private const int Idle = 0, Requested = 1, Done = 2;
        private static readonly long ParkAfterTicks = Stopwatch.Frequency / 500; // 2 ms

        public readonly StagedInputs<T> Staged = staged;
        private readonly object _gate = new();
        private Dataset? _data;
        private int[] _order = [];
        private int _start, _count;
        private int _state;
        private int _parked;
        private volatile bool _stopped;
        private Exception? _failure;

        public void Post(Dataset data, int[] order, int start, int count)
        {
            (_data, _order, _start, _count) = (data, order, start, count);
            Interlocked.Exchange(ref _state, Requested); // a full fence: the request is visible before the state, and _parked is read after it
            if (Volatile.Read(ref _parked) != 0)
                lock (_gate) Monitor.PulseAll(_gate);
        }

        public void WaitDone()
        {
            int spins = 0;
            while (Volatile.Read(ref _state) != Done)
            {
                if (++spins % 4096 == 0) Thread.Yield(); // in case the helper shares this core
                else Thread.SpinWait(1);
            }
            _state = Idle;
            _data = null;
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

        public void Loop()
        {
            while (true)
            {
                long idleSince = Stopwatch.GetTimestamp();
                int spins = 0;
                while (Volatile.Read(ref _state) != Requested)
                {
                    if (_stopped) return;
                    Thread.SpinWait(1);
                    if (++spins % 256 == 0 && Stopwatch.GetTimestamp() - idleSince > ParkAfterTicks)
                    {
                        Park();
                        idleSince = Stopwatch.GetTimestamp();
                    }
                }
                try { batch.Fill(_data!, _order.AsSpan(_start, _count), Staged); }
                catch (Exception e) { _failure = e; }
                Volatile.Write(ref _state, Done);
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
