using Nabla.Diagnostics;

namespace Nabla.Cli.Commands;

/// <summary>Prints a <see cref="SaturationReport"/> and turns it into JSON; shared by `explain saturation` and `train --diagnostics`.</summary>
internal static class SaturationOutput
{
    /// <summary>The examples `train --diagnostics` measures on: a fixed sample of the training data.</summary>
    public const int TrainingSampleSize = 1000;

    public static void Print(SaturationReport report, string indent = "")
    {
        var o = report.Options;
        Console.WriteLine($"{indent}{"layer",5}  {$"σ'(z)<{o.DerivativeThreshold:G2}",11}  {$"|a_in|<{o.ActivationThreshold:G2}",11}  {"mean |δ|",10}  {"‖∇w‖",10}  {"‖∇b‖",10}");
        foreach (var l in report.Layers)
            Console.WriteLine($"{indent}{l.Layer,5}  {l.SaturatedFraction,11:P1}  {l.InactiveInputFraction,11:P1}  {l.MeanAbsDelta,10:0.000e+00}  {l.WeightGradientNorm,10:0.000e+00}  {l.BiasGradientNorm,10:0.000e+00}");
    }

    public static object Json(SaturationReport report) => new
    {
        examples = report.Examples,
        derivative_threshold = report.Options.DerivativeThreshold,
        activation_threshold = report.Options.ActivationThreshold,
        layers = report.Layers.Select(l => new
        {
            layer = l.Layer, saturated_fraction = l.SaturatedFraction, inactive_input_fraction = l.InactiveInputFraction,
            mean_abs_delta = l.MeanAbsDelta, weight_gradient_norm = l.WeightGradientNorm, bias_gradient_norm = l.BiasGradientNorm,
        }),
    };

    /// <summary>For `train --diagnostics`: measures after an epoch, prints (to stderr with --json) and returns the JSON form.</summary>
    public static object AfterEpoch<T>(Network<T> network, Cost cost, Dataset training, int[] sample, bool json)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var report = Saturation.Measure(network, cost, training, sample);
        if (json)
            Console.Error.WriteLine("  " + string.Join("; ", report.Layers.Select(l => $"layer {l.Layer}: σ' small {l.SaturatedFraction:P0}, ‖∇w‖ {l.WeightGradientNorm:0.00e+00}")));
        else
        {
            Console.WriteLine($"  Diagnostics on {Words.Count(report.Examples, "training example")} (fraction of neurons with σ'(z) below {report.Options.DerivativeThreshold:G2}, of inputs with |a| below {report.Options.ActivationThreshold:G2}):");
            Print(report, "  ");
        }
        return Json(report);
    }
}
