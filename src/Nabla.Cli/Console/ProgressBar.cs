using System.Globalization;

namespace Nabla.Cli;

/// <summary>
/// A one-line live progress bar on stderr (so stdout stays clean for --json): the bar, examples done, examples per
/// second and the time left in the epoch. Draws at the first report, then at most every <see cref="Interval"/>, and
/// always at the end; only on a terminal. The clock and the writer are injectable, so that a test drives it with a
/// fake clock.
/// </summary>
internal sealed class ProgressBar
{
    /// <summary>The shortest time between two drawings: often enough to look live, rarely enough to cost nothing.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(0.1);

    private const int BarWidth = 30;
    private readonly string _label;
    private readonly int _total, _startedAt;
    private readonly TextWriter _output;
    private readonly TimeProvider _clock;
    private readonly bool _enabled;
    private readonly long _start;
    private long? _lastDraw; // null until the first drawing: the first report always draws
    private int _drawnLength;

    /// <summary>A bar on stderr when stderr is a terminal, on the system clock.</summary>
    /// <param name="startedAt">Examples already done when the bar starts (a resumed epoch), left out of the rate.</param>
    public ProgressBar(string label, int total, int startedAt = 0)
        : this(label, total, startedAt, Console.Error, TimeProvider.System, enabled: !Console.IsErrorRedirected) { }

    public ProgressBar(string label, int total, int startedAt, TextWriter output, TimeProvider clock, bool enabled)
    {
        (_label, _total, _startedAt, _output, _clock, _enabled) = (label, total, startedAt, output, clock, enabled);
        _start = clock.GetTimestamp();
    }

    /// <summary><paramref name="done"/> examples of the epoch are done.</summary>
    public void Report(int done)
    {
        if (!_enabled) return;
        long now = _clock.GetTimestamp();
        if (done < _total && _lastDraw is long last && _clock.GetElapsedTime(last, now) < Interval) return;
        _lastDraw = now;
        string line = Line(done, _clock.GetElapsedTime(_start, now));
        // Spaces over what is left of a longer previous line.
        _output.Write("\r" + line + new string(' ', Math.Max(0, _drawnLength - line.Length)));
        _output.Flush();
        _drawnLength = line.Length;
    }

    /// <summary>"Epoch 3 [#######.......] 12,340/50,000  45,678 examples/s  0:01 left".</summary>
    internal string Line(int done, TimeSpan elapsed)
    {
        int filled = _total == 0 ? BarWidth : (int)((long)BarWidth * Math.Clamp(done, 0, _total) / _total);
        double seconds = elapsed.TotalSeconds;
        double rate = seconds > 0 ? (done - _startedAt) / seconds : 0;
        string rateText = rate > 0 ? string.Create(CultureInfo.InvariantCulture, $"{rate,9:N0} examples/s") : "";
        string left = done >= _total ? "" : rate > 0 ? $"  {Clock(TimeSpan.FromSeconds(Math.Ceiling((_total - done) / rate)))} left" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{_label} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {done,7:N0}/{_total:N0}  {rateText}{left}");
    }

    /// <summary>"0:07", "12:30", "1:02:03".</summary>
    private static string Clock(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{(int)t.TotalMinutes}:{t.Seconds:00}";

    /// <summary>Clears the line so the next output starts clean.</summary>
    public void Clear()
    {
        if (!_enabled || _drawnLength == 0) return;
        _output.Write("\r" + new string(' ', _drawnLength) + "\r");
        _output.Flush();
        _drawnLength = 0;
    }
}
