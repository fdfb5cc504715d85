using System.Numerics;
using Nabla.Cli.Plots;
using Nabla.Diagnostics;

namespace Nabla.Cli.Commands;

/// <summary>
/// What `nabla train --diagnostics` and `--plot` add to training: after each epoch, the saturation figures of every layer on
/// a fixed sample of the training data, and at the end the training curves. Kept here so that TrainCommand calls it in a few lines.
/// </summary>
internal sealed class TrainingDiagnostics
{
    private readonly bool _diagnostics, _json;
    private readonly string? _plot;
    private readonly int[] _sample;
    private readonly List<EpochPoint> _points = [];

    public TrainingDiagnostics(bool diagnostics, string? plot, Dataset training, int seed, bool json)
    {
        if (plot is not null) PlotFile.CheckPath(plot, "--plot");
        (_diagnostics, _plot, _json) = (diagnostics, plot, json);
        _sample = diagnostics ? Saturation.Sample(training, SaturationOutput.TrainingSampleSize, seed) : [];
    }

    /// <summary>Each epoch's evaluation so far, for the plot (and a checkpoint, so that a resumed run plots them all).</summary>
    public IReadOnlyList<EpochPoint> Points => _points;

    /// <summary>The epochs of a run before it was interrupted, from its checkpoint.</summary>
    public void Restore(IEnumerable<EpochPoint> points) => _points.AddRange(points);

    /// <summary>
    /// Records the epoch for the plot and, with --diagnostics, measures and prints; returns the figures for the JSON report
    /// (null without --diagnostics). <paramref name="score"/> is plotted in place of the accuracy (a regression's R²).
    /// </summary>
    public object? AfterEpoch<T>(Network<T> network, Cost cost, Dataset training, int epoch, Evaluation evaluation, double? score = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        _points.Add(new EpochPoint(epoch, score ?? evaluation.Accuracy, evaluation.Cost));
        return _diagnostics ? SaturationOutput.AfterEpoch(network, cost, training, _sample, _json) : null;
    }

    /// <summary>Draws the training curves, when --plot was given.</summary>
    public void Finish(string costName, string evaluatedOn, string description, int? bestEpoch, PlottedScore score = PlottedScore.Accuracy)
    {
        if (_plot is null || _points.Count == 0) return;
        TrainingPlot.Save(_plot, _points, costName, evaluatedOn, description, bestEpoch, score);
        if (!_json) Console.WriteLine($"Plot: {_plot}");
    }
}
