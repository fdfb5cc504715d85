using System.Diagnostics;

namespace Nabla.Cli;

/// <summary>
/// A one-line live progress bar on stderr (so stdout stays clean for --json): fraction done and
/// examples per second. Draws at most ~10 times a second, and only on a terminal.
/// </summary>
internal sealed class ProgressBar
{
    private readonly string _label;
    private readonly int _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _enabled = !Console.IsErrorRedirected;
    private long _lastDrawTicks = long.MinValue;

    public ProgressBar(string label, int total)
    {
        _label = label;
        _total = total;
    }

    public void Report(int done)
    {
        if (!_enabled) return;
        long now = _clock.ElapsedTicks;
        if (done < _total && now - _lastDrawTicks < Stopwatch.Frequency / 10) return;
        _lastDrawTicks = now;
        const int width = 30;
        int filled = _total == 0 ? width : (int)((long)width * done / _total);
        double rate = done / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        Console.Error.Write($"\r{_label} [{new string('#', filled)}{new string('.', width - filled)}] {done,7:N0}/{_total:N0}  {rate,10:N0} examples/s ");
    }

    /// <summary>Clears the line so the next output starts clean.</summary>
    public void Clear()
    {
        if (_enabled) Console.Error.Write("\r" + new string(' ', Math.Min(Console.BufferWidth > 0 ? Console.BufferWidth - 1 : 100, 110)) + "\r");
    }
}
