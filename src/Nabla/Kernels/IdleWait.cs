using System.Diagnostics;

namespace Nabla.Kernels;

/// <summary>
/// How the compute workers of a <see cref="ComputeContext"/> wait for work, and how a poster wakes them. A step of
/// training is a few microseconds, far too short to park and wake a thread for, so a waiter spins; after
/// <see cref="ComputeContext.SpinBeforeParking"/> without work it parks, so an idle helper costs nothing.
/// The poster publishes its work with a full fence (an Interlocked write) before calling <see cref="Wake"/>.
/// </summary>
internal sealed class IdleWait
{
    private readonly object _gate = new();
    private int _parked; // waiters on _gate

    /// <summary>Returns once <paramref name="ready"/>(<paramref name="state"/>) is true; spins first, then parks.</summary>
    public void Until<TState>(TState state, Func<TState, bool> ready)
    {
        long parkAfter = (long)(ComputeContext.SpinBeforeParking.TotalSeconds * Stopwatch.Frequency);
        long idleSince = Stopwatch.GetTimestamp();
        int spins = 0;
        while (!ready(state))
        {
            Thread.SpinWait(1);
            if (++spins % 256 == 0 && Stopwatch.GetTimestamp() - idleSince > parkAfter)
            {
                lock (_gate)
                {
                    Interlocked.Increment(ref _parked); // a full fence: the poster either sees the count or we see its work
                    while (!ready(state))
                        Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _parked);
                }
                return;
            }
        }
    }

    /// <summary>Wakes parked waiters, if any; call after publishing the work with a full fence.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _parked) != 0)
            lock (_gate) Monitor.PulseAll(_gate);
    }

    /// <summary>Wakes every parked waiter unconditionally (for stopping).</summary>
    public void WakeAll()
    {
        lock (_gate) Monitor.PulseAll(_gate);
    }

    /// <summary>The poster's side: spins until <paramref name="done"/> is true, yielding now and then in case the helper shares this core.</summary>
    public static void SpinUntil<TState>(TState state, Func<TState, bool> done)
    {
        int spins = 0;
        while (!done(state))
        {
            if (++spins % 4096 == 0) Thread.Yield();
            else Thread.SpinWait(1);
        }
    }
}
