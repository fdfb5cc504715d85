using System.Diagnostics;

namespace Nabla.Kernels;

/// <summary>
/// Chooses, while training runs, between a <see cref="ComputeContext"/>'s team of threads and its calling thread alone, by
/// timing both. On a quiet machine the team is faster (two cores: [784,500,200,10] at m = 128 about 1.7× one); when other
/// processes hold the cores, a worker that the system has taken off its core keeps every product of every step waiting, and
/// one thread alone measured faster (0.77 against 1.31 s an epoch, `bench/compare --recipe practitioner` in a busy spell). Any
/// split gives the same numbers (<see cref="ComputeContext.Solo"/> runs the same parts), so switching never changes a result.
/// Steps are timed in windows of <see cref="Window"/>; every <see cref="ProbeEvery"/> windows the other way gets one window,
/// and the faster way (by time per step, the last measure of each) is kept.
/// </summary>
internal sealed class TeamOrSolo(ComputeContext context)
{
    /// <summary>Steps timed together.</summary>
    public const int Window = 16;

    /// <summary>Windows between two tries of the way not in use.</summary>
    public const int ProbeEvery = 16;

    private long _windowStart = Stopwatch.GetTimestamp();
    private int _steps, _windows;
    private bool _probing;
    private double _teamSeconds = double.PositiveInfinity, _soloSeconds = double.PositiveInfinity; // per step, last measured

    /// <summary>Whether training is on the calling thread alone now.</summary>
    public bool Solo => context.Solo;

    /// <summary>Counts a step done; at the end of a window, records its time and picks the way for the next one.</summary>
    public void StepDone()
    {
        if (++_steps < Window) return;
        long now = Stopwatch.GetTimestamp();
        double perStep = (now - _windowStart) / (double)Stopwatch.Frequency / _steps;
        if (context.Solo) _soloSeconds = perStep; else _teamSeconds = perStep;
        _windows++;
        if (_probing)
        {
            _probing = false;
            context.Solo = _soloSeconds < _teamSeconds;
        }
        else if (_windows % ProbeEvery == 1)
        {
            _probing = true; // the first window after the start, then every ProbeEvery: time the other way once
            context.Solo = !context.Solo;
        }
        _steps = 0;
        _windowStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Starts a new window (after a pause in training: evaluation, another epoch's shuffle), keeping what was learnt.</summary>
    public void Restart()
    {
        _steps = 0;
        _windowStart = Stopwatch.GetTimestamp();
    }
}
