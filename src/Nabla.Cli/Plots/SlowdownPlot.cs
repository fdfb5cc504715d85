using Nabla.Diagnostics;
using ScottPlot;

namespace Nabla.Cli.Plots;

/// <summary>One training run's snapshots, with the name shown in the legend.</summary>
internal sealed record SlowdownSeries(string Name, IReadOnlyList<TrainingSnapshot> Snapshots);

/// <summary>Per-layer ‖∂C/∂w^l‖ over training, on a log scale: the picture of learning slowdown.</summary>
internal static class SlowdownPlot
{
    public static void Save(string path, IReadOnlyList<SlowdownSeries> series, string description)
    {
        var plot = PlotFile.NewPlot("Learning slowdown: each layer's gradient norm during training", $"epochs of training ({description})", "‖∂C/∂w‖ of each layer (log scale)");
        LinePattern[] patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];
        for (int s = 0; s < series.Count; s++)
        {
            var snapshots = series[s].Snapshots;
            double[] epochs = snapshots.Select(p => p.Epoch).ToArray();
            int layers = snapshots[0].Report.Layers.Count;
            for (int l = 0; l < layers; l++)
            {
                // A norm of exactly 0 has no logarithm; show it at the bottom of the range instead of dropping the point.
                var norms = snapshots.Select(p => Math.Log10(Math.Max(p.Report.Layers[l].WeightGradientNorm, 1e-12))).ToArray();
                var line = plot.Add.Scatter(epochs, norms);
                line.LegendText = $"{series[s].Name}: layer {l + 1}";
                line.Color = PlotFile.Color(s);
                line.LinePattern = patterns[l % patterns.Length];
                line.LineWidth = 2.5f;
                line.MarkerSize = 0;
            }
        }
        PlotFile.LogScaleLeft(plot);
        plot.ShowLegend(Alignment.UpperRight);
        PlotFile.Save(plot, path);
    }
}
