using Nabla.Diagnostics;
using ScottPlot;

namespace Nabla.Cli.Plots;

/// <summary>The demon's experiment: the measured ΔC against δΔz, on the line ΔC = δΔz that Eq. 29 predicts.</summary>
internal static class DemonPlot
{
    public static void Save(string path, DemonResult result)
    {
        // How the error shrinks: between the two smallest positive nudges, Δz and 2Δz, second order means a ratio of 4.
        var positive = result.Points.Where(p => p.Dz > 0).OrderBy(p => p.Dz).ToArray();
        string order = positive.Length >= 2 && positive[0].Error > 0 && Math.Abs(positive[1].Dz - 2 * positive[0].Dz) < 1e-12
            ? $"; halving Δz divides the error by {positive[1].Error / positive[0].Error:F2} (Δz²: 4)" : "";
        var plot = PlotFile.NewPlot($"The demon nudges z of neuron {result.Neuron} in layer {result.Layer} by Δz: ΔC ≈ δΔz",
            "predicted change in cost δ·Δz", "measured change in cost ΔC");
        plot.Axes.Title.Label.FontSize = 18;
        var note = plot.Add.Annotation($"δ = ∂C/∂z = {result.Delta:G4}{order}", Alignment.LowerRight);
        note.LabelFontSize = 14;
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
