using System.CommandLine;
using Nabla.Diagnostics;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla gradcheck`: backprop's gradient against finite differences (Eq. 46) for every weight and bias, or a
/// sample; with --timing, how much faster backprop is than the finite-difference gradient.
/// </summary>
internal static class GradCheckCommand
{
    public static Command Create()
    {
        var inputs = new DiagnosticInputs();
        var sample = new Option<int?>("--sample") { Description = "Check only N parameters drawn from --seed (default: every one)" };
        var timing = new Option<bool>("--timing") { Description = "Instead of checking, time one backprop gradient against the full finite-difference gradient" };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest central-difference relative error that passes", DefaultValueFactory = _ => new GradientCheckOptions().CentralTolerance };
        var command = new Command("gradcheck", "Check backprop against finite differences (Eq. 46), per layer; --timing shows why backprop is fast") { sample, timing, tolerance };
        inputs.AddTo(command);
        command.SetAction(parse =>
        {
            var (network, cost, networkText) = inputs.Network(parse);
            var (x, y, exampleText) = inputs.ExampleFor(parse, network);
            bool json = parse.GetValue(CommandRunner.Json);
            if (parse.GetValue(timing)) return Timing(network, x, y, cost, networkText, exampleText, json);

            if (parse.GetValue(sample) is < 1) throw new CliException($"--sample: must be at least 1, got {parse.GetValue(sample)}", ExitCodes.InvalidArguments);
            double tol = parse.GetValue(tolerance);
            if (!(tol > 0)) throw new CliException($"--tolerance: must be a positive number, got {tol}", ExitCodes.InvalidArguments);
            var options = new GradientCheckOptions { Sample = parse.GetValue(sample), Seed = parse.GetValue(inputs.Seed), CentralTolerance = tol };
            var r = GradientCheck.Run(network, x, y, cost, options);
            if (json)
                CommandRunner.WriteJson(new
                {
                    command = "gradcheck", network = networkText, example = exampleText, precision = "float64",
                    max_relative_error = r.MaxRelativeError, max_relative_error_forward = r.MaxRelativeErrorForward, passed = r.Passed,
                    parameters_checked = r.ParametersChecked, parameter_count = r.ParameterCount,
                    central_epsilon = options.CentralEpsilon, forward_epsilon = options.ForwardEpsilon,
                    central_tolerance = options.CentralTolerance, forward_tolerance = options.ForwardTolerance, relative_error_floor = options.Floor,
                    per_layer = r.Layers.Select(l => new
                    {
                        layer = l.Layer, parameters_checked = l.ParametersChecked,
                        max_relative_error_central = l.MaxRelativeErrorCentral, mean_relative_error_central = l.MeanRelativeErrorCentral,
                        max_relative_error_forward = l.MaxRelativeErrorForward, mean_relative_error_forward = l.MeanRelativeErrorForward,
                    }),
                    worst = r.Worst,
                });
            else
            {
                Console.WriteLine($"Network: {networkText}");
                Console.WriteLine($"Example: {exampleText}");
                Console.WriteLine($"Checked {r.ParametersChecked:N0} of {Words.Count(r.ParameterCount, "parameter")} in float64: backprop against central differences (ε = {options.CentralEpsilon:0.#e+0}) " +
                                  $"and Eq. 46's forward differences (ε = {options.ForwardEpsilon:0.#e+0}).");
                Console.WriteLine($"Relative error = |backprop − estimate| / max(|backprop|, |estimate|, {options.Floor:0.#e+0}).");
                Console.WriteLine();
                Console.WriteLine($"{"layer",5}  {"checked",8}  {"central max",12}  {"central mean",12}  {"forward max",12}  {"forward mean",12}");
                foreach (var l in r.Layers)
                    Console.WriteLine($"{l.Layer,5}  {l.ParametersChecked,8:N0}  {l.MaxRelativeErrorCentral,12:0.00e+00}  {l.MeanRelativeErrorCentral,12:0.00e+00}  {l.MaxRelativeErrorForward,12:0.00e+00}  {l.MeanRelativeErrorForward,12:0.00e+00}");
                if (r.Worst is { } w)
                    Console.WriteLine($"\nLargest disagreement: {w.Parameter} ({w.Description}): backprop {w.Backprop:G10}, central {w.Central:G10}, forward {w.Forward:G10}");
                Console.WriteLine($"{(r.Passed ? "PASSED" : "FAILED")}: max relative error {r.MaxRelativeErrorCentral:0.00e+00} (central; tolerance {options.CentralTolerance:0.#e+0}), " +
                                  $"{r.MaxRelativeErrorForward:0.00e+00} (forward; tolerance {options.ForwardTolerance:0.#e+0})");
            }
            return r.Passed ? ExitCodes.Success : ExitCodes.InternalError; // a failed check is a bug in backprop
        });
        return command;
    }

    private static int Timing(Network<double> network, double[] x, double[] y, Cost cost, string networkText, string exampleText, bool json)
    {
        if (!json) Console.Error.WriteLine($"Timing the finite-difference gradient: {FiniteDifferences.ForwardPasses(DifferenceScheme.Central, network.ParameterCount):N0} forward passes...");
        var t = GradientTiming.Measure(network, x, y, cost);
        long forwardDifferencePasses = FiniteDifferences.ForwardPasses(DifferenceScheme.Forward, network.ParameterCount);
        if (json)
            CommandRunner.WriteJson(new
            {
                command = "gradcheck", mode = "timing", network = networkText, example = exampleText, precision = "float64",
                parameters = t.ParameterCount, weights = t.Weights,
                backprop_seconds = t.BackpropSeconds, finite_difference_seconds = t.FiniteDifferenceSeconds, ratio = t.Ratio,
                finite_difference_scheme = "central",
                forward_passes_backprop = t.ForwardPassesBackprop, backward_passes_backprop = t.BackwardPassesBackprop,
                forward_passes_finite_difference = t.ForwardPassesFiniteDifference,
                forward_passes_forward_difference = forwardDifferencePasses,
                seconds_per_forward_pass = t.SecondsPerForwardPass,
                million_weights_extrapolated = true,
                million_weights_finite_difference_seconds = t.MillionWeightsFiniteDifferenceSecondsExtrapolated,
                million_weights_backprop_seconds = t.MillionWeightsBackpropSecondsExtrapolated,
            });
        else
        {
            Console.WriteLine($"Network: {networkText} ({Words.Count(t.ParameterCount, "parameter")}, {Words.Count(t.Weights, "weight")}), float64");
            Console.WriteLine($"Example: {exampleText}");
            Console.WriteLine();
            Console.WriteLine($"Backprop:             {Seconds(t.BackpropSeconds),12}   1 forward pass + 1 backward pass (best of many runs, after a warm-up)");
            Console.WriteLine($"Finite differences:   {Seconds(t.FiniteDifferenceSeconds),12}   {t.ForwardPassesFiniteDifference:N0} forward passes (central: 2 per parameter; " +
                              $"Eq. 46's forward differences would need {forwardDifferencePasses:N0}: 1 + 1 per parameter)");
            Console.WriteLine($"Backprop is {t.Ratio:N0}× faster here; one forward pass took {Seconds(t.SecondsPerForwardPass)}.");
            Console.WriteLine();
            Console.WriteLine($"The chapter's case, a million weights (extrapolated from the measured {Seconds(t.SecondsPerForwardPass)} per forward pass, " +
                              $"assuming a pass costs in proportion to the number of weights):");
            Console.WriteLine($"  finite differences ≈ {Duration(t.MillionWeightsFiniteDifferenceSecondsExtrapolated)} (2,000,000 forward passes) for one gradient of one example; " +
                              $"backprop ≈ {Seconds(t.MillionWeightsBackpropSecondsExtrapolated)}.");
        }
        return ExitCodes.Success;
    }

    private static string Seconds(double s) => s switch
    {
        < 1e-3 => $"{s * 1e6:N1} µs",
        < 1 => $"{s * 1e3:N2} ms",
        _ => $"{s:N2} s",
    };

    private static string Duration(double s) => s switch
    {
        < 120 => $"{s:N0} s",
        < 7200 => $"{s / 60:N0} minutes",
        < 2 * 86400 => $"{s / 3600:N1} hours",
        _ => $"{s / 86400:N1} days",
    };
}
