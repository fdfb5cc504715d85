using System.Diagnostics;

namespace Nabla.Kernels;

/// <summary>
/// Chooses, while training runs, between a <see cref="ComputeContext"/>'s team of threads and its calling thread alone, by
/// timing both. On a quiet machine the team is faster (two cores: [784,500,200,10] at m = 128 about 1.7× one); when other
/// processes hold the cores, a worker that the system has taken off its core keeps every product of every step waiting, and
/// one thread alone measured faster (0.77 against 1.31 s an epoch, `bench/compare --recipe practitioner` in a busy spell). Any
/// split gives the same numbers (<see cref="ComputeContext.Solo"/> runs the same parts), so switching never changes a result.
/// Steps are timed in windows of <see cref="Window"/>; every <see cref="ProbeEvery"/> windows the other way gets two, the first
/// to settle (untimed), the second timed, and the faster way (by time per step, the last measure of each) is kept.
/// </summary>
internal sealed class TeamOrSolo(ComputeContext context)
{
    /// <summary>Steps timed together.</summary>
    public const int Window = 16;

    /// <summary>Windows between two tries of the way not in use (a try costs two windows: about 6 % of the steps).</summary>
    public const int ProbeEvery = 32;

    private long _windowStart = Stopwatch.GetTimestamp();
    private int _steps, _windows;
    private bool _probing;
    private bool _settling = true; // the window after a start or a switch is not timed
    private double _teamSeconds = double.PositiveInfinity, _soloSeconds = double.PositiveInfinity; // per step, last measured

    /// <summary>Whether training is on the calling thread alone now.</summary>
    public bool Solo => context.Solo;

    /// <summary>Counts a step done; at the end of a window, records its time and picks the way for the next one.</summary>
    public void StepDone()
    {
        if (++_steps < Window) return;
        if (_settling)
        {
            // The first window of a way is not its speed: at the start the code is still being compiled (a first team window
            // measured 6.1 ms a step against 0.84 ms later), and after a switch a worker that parked must be woken and its
            // core brought out of idle (team probes measured 1.5 ms a step, as slow as one thread, where the team then
            // settled at 0.84). So a way is timed from its second window.
            _settling = false;
            _steps = 0;
            _windowStart = Stopwatch.GetTimestamp();
            return;
        }
        long now = Stopwatch.GetTimestamp();
        double perStep = (now - _windowStart) / (double)Stopwatch.Frequency / _steps;
        if (context.Solo) _soloSeconds = perStep; else _teamSeconds = perStep;
        _windows++;
        if (_probing)
        {
            _probing = false;
            bool solo = _soloSeconds < _teamSeconds;
            _settling = solo != context.Solo;
            context.Solo = solo;
        }
        else if (_windows % ProbeEvery == 1)
        {
            _probing = _settling = true; // the first timed window, then every ProbeEvery: time the other way once
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
