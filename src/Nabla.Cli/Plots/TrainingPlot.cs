using ScottPlot;

namespace Nabla.Cli.Plots;

/// <summary>One point of a training curve: the epoch's score (accuracy, or R² for a regression) and cost.</summary>
internal sealed record EpochPoint(int Epoch, double Accuracy, double Cost);

/// <summary>What the left axis shows: accuracy (as a percentage) for classes, R² for values.</summary>
internal enum PlottedScore { Accuracy, RSquared }

/// <summary>Accuracy (left axis, %) or R², and cost (right axis) per epoch, the best epoch marked.</summary>
internal static class TrainingPlot
{
    public static void Save(string path, IReadOnlyList<EpochPoint> points, string costName, string evaluatedOn, string description, int? bestEpoch = null,
        PlottedScore score = PlottedScore.Accuracy) =>
        PlotFile.Save(Build(points, costName, evaluatedOn, description, bestEpoch, score), path);

    public static Plot Build(IReadOnlyList<EpochPoint> points, string costName, string evaluatedOn, string description, int? bestEpoch = null,
        PlottedScore score = PlottedScore.Accuracy)
    {
        bool percent = score == PlottedScore.Accuracy;
        string scoreName = percent ? "accuracy (%)" : "R²";
        double Shown(double value) => percent ? 100 * value : value;
        var plot = PlotFile.NewPlot($"Training: {description}", "epoch", $"{evaluatedOn} {scoreName}");
        double[] epochs = points.Select(p => (double)p.Epoch).ToArray();
        var accuracy = plot.Add.Scatter(epochs, points.Select(p => Shown(p.Accuracy)).ToArray());
        accuracy.LegendText = percent ? $"{evaluatedOn} accuracy (%, left axis)" : $"{evaluatedOn} R² (left axis)";
        accuracy.Color = PlotFile.Color(0);
        accuracy.LineWidth = 2;
        accuracy.MarkerSize = 7;
        var cost = plot.Add.Scatter(epochs, points.Select(p => p.Cost).ToArray());
        cost.LegendText = $"{evaluatedOn} {costName} cost per example (right axis)";
        cost.Color = PlotFile.Color(1);
        cost.LineWidth = 2;
        cost.MarkerSize = 7;
        cost.LinePattern = LinePattern.Dashed;
        cost.Axes.YAxis = plot.Axes.Right;
        if (points.FirstOrDefault(p => p.Epoch == bestEpoch) is { } best)
        {
            var marker = plot.Add.Marker(best.Epoch, Shown(best.Accuracy), MarkerShape.OpenCircle, 18);
            marker.Color = PlotFile.Color(0);
            marker.LineWidth = 2;
            marker.LegendText = percent ? $"best: epoch {best.Epoch}, {best.Accuracy:P2}" : $"best: epoch {best.Epoch}, R² {best.Accuracy:F4}";
        }
        plot.Axes.Right.Label.Text = $"mean {costName} cost";
        plot.Axes.Right.Label.FontSize = 16;
        plot.Axes.Right.TickLabelStyle.FontSize = 14;
        // Epochs are whole, and the axis spans only those trained: half an epoch of room at each end, so that no tick
        // falls before the first epoch or after the last (it showed −1 and 30 for epochs 0 to 29).
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.SetLimitsX(epochs.Min() - 0.5, epochs.Max() + 0.5);
        plot.ShowLegend(Edge.Bottom); // below the axes: the curves can be anywhere
        return plot;
    }
}
