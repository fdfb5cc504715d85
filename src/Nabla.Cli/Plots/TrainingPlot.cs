using ScottPlot;

namespace Nabla.Cli.Plots;

/// <summary>One point of a training curve.</summary>
internal sealed record EpochPoint(int Epoch, double Accuracy, double Cost);

/// <summary>Accuracy (left axis, %) and cost (right axis) per epoch.</summary>
internal static class TrainingPlot
{
    public static void Save(string path, IReadOnlyList<EpochPoint> points, string costName, string evaluatedOn, string description)
    {
        var plot = PlotFile.NewPlot($"Training: {description}", "epoch", $"{evaluatedOn} accuracy (%)");
        double[] epochs = points.Select(p => (double)p.Epoch).ToArray();
        var accuracy = plot.Add.Scatter(epochs, points.Select(p => 100 * p.Accuracy).ToArray());
        accuracy.LegendText = $"{evaluatedOn} accuracy (%, left axis)";
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
        plot.Axes.Right.Label.Text = $"mean {costName} cost";
        plot.Axes.Right.Label.FontSize = 16;
        plot.Axes.Right.TickLabelStyle.FontSize = 14;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true }; // epochs are whole
        plot.ShowLegend(Edge.Bottom); // below the axes: the curves can be anywhere
        PlotFile.Save(plot, path);
    }
}
