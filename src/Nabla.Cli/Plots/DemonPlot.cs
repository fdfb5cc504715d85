using Nabla.Diagnostics;
using ScottPlot;

namespace Nabla.Cli.Plots;

/// <summary>The demon's experiment: the measured ΔC against δΔz, on the line ΔC = δΔz that Eq. 29 predicts.</summary>
internal static class DemonPlot
{
    public static void Save(string path, DemonResult result)
    {
        var plot = PlotFile.NewPlot($"The demon at z^{result.Layer}_{result.Neuron}: ΔC ≈ δΔz (δ = {result.Delta:G4})",
            "predicted change in cost δ·Δz", "measured change in cost ΔC");
        double[] predicted = result.Points.Select(p => p.PredictedDC).ToArray();
        double low = Math.Min(predicted.Min(), result.Points.Min(p => p.MeasuredDC)), high = Math.Max(predicted.Max(), result.Points.Max(p => p.MeasuredDC));
        var line = plot.Add.Line(low, low, high, high);
        line.LegendText = "ΔC = δΔz (Eq. 29, first order)";
        line.Color = Colors.Gray;
        line.LineWidth = 2;
        line.LinePattern = LinePattern.Dashed;
        var measured = plot.Add.ScatterPoints(predicted, result.Points.Select(p => p.MeasuredDC).ToArray());
        measured.LegendText = $"measured, Δz from {result.Points.Min(p => p.Dz):G3} to {result.Points.Max(p => p.Dz):G3}";
        measured.Color = PlotFile.Color(0);
        measured.MarkerSize = 10;
        plot.ShowLegend(Alignment.UpperLeft);
        PlotFile.Save(plot, path);
    }
}
