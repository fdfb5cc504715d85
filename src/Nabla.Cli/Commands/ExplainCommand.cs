using System.CommandLine;
using Nabla.Cli.Plots;
using Nabla.Diagnostics;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla explain`: the chapter's explanations as experiments — the demon (Eq. 29), the sum over paths (Eq. 53),
/// saturation and slow learning (BP1, BP2, BP4), the learning slowdown over training, and the first layer's weights.
/// </summary>
internal static class ExplainCommand
{
    public static Command Create() => new("explain", "See why backprop works: the demon, the sum over paths, saturation, slowdown, weights")
    {
        Demon(), Paths(), SaturationCommand(), Slowdown(), Weights(),
    };

    private static Option<string?> PlotOption(string what) => new("--plot") { Description = $"Draw {what} to this file (.png or .svg)" };

    private static Command Demon()
    {
        var inputs = new DiagnosticInputs();
        var layer = new Option<int>("--layer") { Description = "Layer l of the neuron (1 = first after the input, L = output)", DefaultValueFactory = _ => 1 };
        var neuron = new Option<int>("--neuron") { Description = "Neuron j of that layer (from 0)", DefaultValueFactory = _ => 0 };
        var plot = PlotOption("ΔC against δΔz");
        var command = new Command("demon", "Eq. 29: nudge z^l_j by Δz and compare the change in cost with δ^l_j Δz") { layer, neuron, plot };
        inputs.AddTo(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(plot) is string p) PlotFile.CheckPath(p, "--plot");
            var (network, cost, networkText) = inputs.Network(parse);
            var (x, y, exampleText) = inputs.ExampleFor(parse, network);
            var r = Diagnostics.Demon.Experiment(network, x, y, cost, parse.GetValue(layer), parse.GetValue(neuron));
            if (parse.GetValue(plot) is string path) DemonPlot.Save(path, r);
            if (parse.GetValue(CommandRunner.Json))
            {
                CommandRunner.WriteJson(new
                {
                    command = "explain demon", network = networkText, example = exampleText, layer = r.Layer, neuron = r.Neuron, delta = r.Delta, cost = r.Cost,
                    points = r.Points.Select(q => new Dictionary<string, double> { ["dz"] = q.Dz, ["measured_dC"] = q.MeasuredDC, ["predicted_dC"] = q.PredictedDC, ["error"] = q.Error }),
                    plot = parse.GetValue(plot),
                });
                return ExitCodes.Success;
            }
            Console.WriteLine($"Network: {networkText}");
            Console.WriteLine($"Example: {exampleText}");
            Console.WriteLine($"The demon adds Δz to z^{r.Layer}_{r.Neuron}. Backprop's δ^{r.Layer}_{r.Neuron} = ∂C/∂z^{r.Layer}_{r.Neuron} = {r.Delta:G6} (cost C = {r.Cost:G6}),");
            Console.WriteLine("so Eq. 29 predicts ΔC ≈ δΔz; the error is second order, so halving Δz should quarter it.");
            Console.WriteLine();
            Console.WriteLine($"{"Δz",10}  {"measured ΔC",14}  {"δΔz",14}  {"|error|",11}  {"error(2Δz)/error(Δz)",20}");
            for (int i = 0; i < r.Points.Count; i++)
            {
                var q = r.Points[i];
                // The point with twice this Δz (same sign), if there is one: the ratio of the errors should be ≈ 4.
                var twice = r.Points.FirstOrDefault(o => Math.Abs(o.Dz - 2 * q.Dz) < 1e-12 * Math.Abs(q.Dz));
                string ratio = twice is null || q.Error == 0 ? "" : $"{twice.Error / q.Error:F2}";
                Console.WriteLine($"{q.Dz,10:G4}  {q.MeasuredDC,14:0.000000e+00}  {q.PredictedDC,14:0.000000e+00}  {q.Error,11:0.00e+00}  {ratio,20}");
            }
            if (parse.GetValue(plot) is string saved) Console.WriteLine($"\nPlot: {saved}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Paths()
    {
        var inputs = new DiagnosticInputs(defaultLayers: "4,5,3,2");
        var layer = new Option<int>("--layer") { Description = "Layer l of the weight w^l_jk", DefaultValueFactory = _ => 1 };
        var j = new Option<int>("--j") { Description = "j: the neuron of layer l the weight leads to", DefaultValueFactory = _ => 0 };
        var k = new Option<int>("--k") { Description = "k: the neuron of layer l−1 the weight comes from", DefaultValueFactory = _ => 0 };
        var maxPaths = new Option<long>("--max-paths") { Description = "Refuse weights with more paths than this", DefaultValueFactory = _ => PathSum.DefaultMaxPaths };
        var top = new Option<int>("--top") { Description = "How many of the largest paths to show", DefaultValueFactory = _ => 5 };
        var command = new Command("paths", "Eq. 53: ∂C/∂w^l_jk as the sum, over every path from the weight to the cost, of the products of the rates along it")
        {
            layer, j, k, maxPaths, top,
        };
        inputs.AddTo(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(top) < 0) throw new CliException($"--top: must be 0 or more, got {parse.GetValue(top)}", ExitCodes.InvalidArguments);
            var (network, cost, networkText) = inputs.Network(parse);
            var (x, y, exampleText) = inputs.ExampleFor(parse, network);
            var r = PathSum.Compute(network, x, y, cost, parse.GetValue(layer), parse.GetValue(j), parse.GetValue(k), parse.GetValue(maxPaths), parse.GetValue(top));
            double difference = Math.Abs(r.PathSum - r.Backprop);
            if (parse.GetValue(CommandRunner.Json))
            {
                CommandRunner.WriteJson(new
                {
                    command = "explain paths", network = networkText, example = exampleText, layer = r.Layer, j = r.J, k = r.K,
                    path_count = r.PathCount, path_sum = r.PathSum, backprop = r.Backprop, absolute_difference = difference,
                    largest_paths = r.LargestPaths.Select(p => new { neurons = p.Neurons, rate = p.Rate }),
                });
                return ExitCodes.Success;
            }
            int L = network.L;
            Console.WriteLine($"Network: {networkText}");
            Console.WriteLine($"Example: {exampleText}");
            Console.WriteLine($"w^{r.Layer}_{r.J},{r.K} reaches the cost through neuron {r.J} of layer {r.Layer}, then one neuron in each of layers {r.Layer + 1}…{L}: {r.PathCount:N0} paths.");
            Console.WriteLine($"Each contributes ∂C/∂a^{L}_m · ∂a^{L}_m/∂a^{L - 1}_n ⋯ ∂a^{r.Layer}_{r.J}/∂w^{r.Layer}_{r.J},{r.K}, with ∂a^i_q/∂a^(i−1)_r = σ'(z^i_q) w^i_qr.");
            if (r.LargestPaths.Count > 0)
            {
                Console.WriteLine($"\nThe {r.LargestPaths.Count} largest (neurons in layers {r.Layer}…{L}):");
                foreach (var p in r.LargestPaths) Console.WriteLine($"  {string.Join(" → ", p.Neurons),-24} {p.Rate,16:0.000000000e+00}");
            }
            Console.WriteLine();
            Console.WriteLine($"Sum over all {r.PathCount:N0} paths: {r.PathSum:G15}");
            Console.WriteLine($"Backprop's ∂C/∂w:      {r.Backprop:G15}");
            Console.WriteLine($"Difference: {difference:0.0e+00} (float64)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command SaturationCommand()
    {
        var model = new Option<string>("--model") { Description = "A model file written by `nabla train --out`", Required = true };
        var data = CommonOptions.Data();
        var maxIdxSize = CommonOptions.MaxIdxSize();
        var cost = new Option<string?>("--cost") { Description = "Cost whose gradient is measured (default: the model's)" };
        var derivativeThreshold = new Option<double>("--derivative-threshold") { Description = "A neuron is saturated when σ'(z) is below this", DefaultValueFactory = _ => new SaturationOptions().DerivativeThreshold };
        var activationThreshold = new Option<double>("--activation-threshold") { Description = "An input is ≈ 0 when |a| is below this", DefaultValueFactory = _ => new SaturationOptions().ActivationThreshold };
        var command = new Command("saturation", "Per layer: how many neurons are saturated (σ' ≈ 0) or silent (a ≈ 0), mean |δ|, and gradient norms, on the test data")
        {
            model, data, maxIdxSize, cost, derivativeThreshold, activationThreshold,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            var loaded = CommonOptions.LoadModel(path);
            var c = parse.GetValue(cost) is string name ? CommonOptions.ParseCost(name) : loaded.Cost ?? Cost.Quadratic;
            var mnist = CommonOptions.LocateData(parse.GetValue(data), parse.GetValue(maxIdxSize));
            CommonOptions.CheckShapeAgainstData(loaded.Network.Sizes, mnist.Test, path);
            double dt = parse.GetValue(derivativeThreshold), at = parse.GetValue(activationThreshold);
            if (!(dt >= 0) || !(at >= 0)) throw new CliException("--derivative-threshold and --activation-threshold must be 0 or more", ExitCodes.InvalidArguments);
            var report = Saturation.Measure(loaded.Network, c, mnist.Test, options: new SaturationOptions { DerivativeThreshold = dt, ActivationThreshold = at });
            if (parse.GetValue(CommandRunner.Json))
            {
                CommandRunner.WriteJson(new { command = "explain saturation", model = path, data = mnist.Directory, cost = c.Name, saturation = SaturationOutput.Json(report) });
                return ExitCodes.Success;
            }
            Console.WriteLine($"Model: {path}: {loaded.Network}, {c.Name} cost");
            Console.WriteLine($"Data: {report.Examples:N0} test examples of {mnist.Description}");
            Console.WriteLine("A neuron with σ'(z) ≈ 0 is saturated: BP1/BP2 give it a small δ, so it learns slowly. A weight from an input with a ≈ 0");
            Console.WriteLine("learns slowly too (BP4: ∂C/∂w = a_in δ_out). Fractions are over (example, neuron) pairs; a_in of layer l is a^(l−1).");
            Console.WriteLine();
            SaturationOutput.Print(report);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Slowdown()
    {
        var plot = PlotOption("the per-layer gradient norms over training");
        var epochs = new Option<int>("--epochs") { Description = "Epochs to train each configuration", DefaultValueFactory = _ => 2 };
        var trainSize = new Option<int?>("--train-size") { Description = "Train on only the first N training examples (default: all)" };
        var eta = new Option<double>("--eta") { Description = "Learning rate η (the same for both)", DefaultValueFactory = _ => 0.5 };
        var layers = CommonOptions.Layers();
        var seed = CommonOptions.Seed();
        var data = CommonOptions.Data();
        var maxIdxSize = CommonOptions.MaxIdxSize();
        var command = new Command("slowdown", "Train sigmoid + quadratic and sigmoid + cross-entropy from the same saturated start (N(0,1) weights) and track each layer's ‖∂C/∂w‖")
        {
            plot, epochs, trainSize, eta, layers, seed, data, maxIdxSize,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(plot) is string p) PlotFile.CheckPath(p, "--plot");
            int n = parse.GetValue(epochs), size = parse.GetValue(trainSize) ?? int.MaxValue;
            double learningRate = parse.GetValue(eta);
            if (n < 1) throw new CliException($"--epochs: must be at least 1, got {n}", ExitCodes.InvalidArguments);
            if (size < 1) throw new CliException($"--train-size: must be at least 1, got {size}", ExitCodes.InvalidArguments);
            if (!(learningRate > 0) || !double.IsFinite(learningRate)) throw new CliException($"--eta: must be a positive number, got {learningRate}", ExitCodes.InvalidArguments);
            var sizes = CommonOptions.ParseLayers(parse.GetValue(layers)!);
            var mnist = CommonOptions.LocateData(parse.GetValue(data), parse.GetValue(maxIdxSize));
            CommonOptions.CheckShapeAgainstData(sizes, mnist.Training, "--layers");
            var training = size < mnist.Training.Count ? mnist.Training.Slice(0, size) : mnist.Training;
            int s = parse.GetValue(seed);
            var sample = Saturation.Sample(training, SaturationOutput.TrainingSampleSize, s);
            bool json = parse.GetValue(CommandRunner.Json);
            var series = new List<SlowdownSeries>();
            var results = new List<object>();
            foreach (var cost in new[] { Cost.Quadratic, Cost.CrossEntropy })
            {
                // The saturated start: N(0, 1) weights, as in the chapter, on 784 inputs make |z| large in the hidden layer.
                var network = new Network<float>(sizes, Activation.Sigmoid, Initialization.StandardNormal, s);
                var sgd = new Sgd<float>(network, cost, (float)learningRate, 10, s);
                Console.Error.WriteLine($"Training sigmoid + {cost.Name} for {n} epoch(s) on {training.Count:N0} examples...");
                var snapshots = LearningSlowdown.Track(sgd, training, n, sample);
                var e = sgd.Evaluate(mnist.Test);
                string name = $"sigmoid + {cost.Name}";
                series.Add(new SlowdownSeries(name, snapshots));
                results.Add(new
                {
                    configuration = name, cost = cost.Name, test_accuracy = e.Accuracy,
                    snapshots = snapshots.Select(q => new { epoch = q.Epoch, weight_gradient_norms = q.Report.Layers.Select(l => l.WeightGradientNorm), saturated_fractions = q.Report.Layers.Select(l => l.SaturatedFraction) }),
                });
                if (!json)
                {
                    Console.WriteLine($"{name}: test accuracy after {n} epoch(s) {e.Accuracy:P2}; ‖∂C/∂w^l‖ on {sample.Length:N0} training examples:");
                    Console.WriteLine($"  {"epoch",6}  " + string.Join("  ", Enumerable.Range(1, sizes.Length - 1).Select(l => $"{$"layer {l}",10}")) + "  " +
                                      string.Join("  ", Enumerable.Range(1, sizes.Length - 1).Select(l => $"{$"sat. {l}",8}")));
                    foreach (var q in snapshots.Where((_, i) => i % 5 == 0 || i == snapshots.Count - 1))
                        Console.WriteLine($"  {q.Epoch,6:F2}  " + string.Join("  ", q.Report.Layers.Select(l => $"{l.WeightGradientNorm,10:0.000e+00}")) + "  " +
                                          string.Join("  ", q.Report.Layers.Select(l => $"{l.SaturatedFraction,8:P0}")));
                }
            }
            string description = $"[{string.Join(",", sizes)}], N(0,1) init, η = {learningRate}, m = 10, {training.Count:N0} examples";
            if (parse.GetValue(plot) is string path) SlowdownPlot.Save(path, series, description);
            if (json) CommandRunner.WriteJson(new { command = "explain slowdown", data = mnist.Directory, layers = sizes, eta = learningRate, training = training.Count, epochs = n, configurations = results, plot = parse.GetValue(plot) });
            else if (parse.GetValue(plot) is string saved) Console.WriteLine($"Plot: {saved}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Weights()
    {
        var model = new Option<string>("--model") { Description = "A model file written by `nabla train --out`", Required = true };
        var plot = new Option<string>("--plot") { Description = "Draw the first layer's weights to this file (.png or .svg)", Required = true };
        var neurons = new Option<int>("--neurons") { Description = "Draw at most this many hidden neurons", DefaultValueFactory = _ => 100 };
        var command = new Command("weights", "Draw the first layer's weights w^1_j of each hidden neuron as an image the size of the input") { model, plot, neurons };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(plot)!;
            PlotFile.CheckPath(path, "--plot");
            if (parse.GetValue(neurons) < 1) throw new CliException($"--neurons: must be at least 1, got {parse.GetValue(neurons)}", ExitCodes.InvalidArguments);
            var loaded = CommonOptions.LoadModel(parse.GetValue(model)!);
            WeightsPlot.Save(path, loaded.Network, parse.GetValue(neurons));
            if (parse.GetValue(CommandRunner.Json)) CommandRunner.WriteJson(new { command = "explain weights", model = parse.GetValue(model), plot = path, neurons = Math.Min(loaded.Network.Sizes[1], parse.GetValue(neurons)) });
            else Console.WriteLine($"Plot: {path} (first-layer weights of {Math.Min(loaded.Network.Sizes[1], parse.GetValue(neurons))} hidden neurons of {loaded.Network})");
            return ExitCodes.Success;
        });
        return command;
    }
}
