using System.CommandLine;
using System.Diagnostics;
using System.Numerics;

namespace Nabla.Cli.Commands;

/// <summary>`nabla train`: the chapter's experiment — SGD on MNIST-format data, one line per epoch.</summary>
internal static class TrainCommand
{
    private sealed record Settings(int[] Layers, Activation[] Activations, Cost Cost, Initialization Init, int Epochs, int Batch,
        double Eta, int Seed, string? Data, string? Out, bool Json, bool Validation, int? TrainSize, string Precision);

    public static Command Create()
    {
        var layers = CommonOptions.Layers();
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => 30 };
        var batch = new Option<int>("--batch") { Description = "Mini-batch size m", DefaultValueFactory = _ => 10 };
        var eta = new Option<double>("--eta") { Description = "Learning rate η", DefaultValueFactory = _ => 3.0 };
        var cost = CommonOptions.Cost();
        var activation = CommonOptions.Activation();
        var init = new Option<string>("--init") { Description = "standard-normal: N(0,1) as in the book; scaled-normal: weights N(0,1/n_in)", DefaultValueFactory = _ => "standard-normal" };
        var seed = CommonOptions.Seed();
        var data = CommonOptions.Data();
        var output = new Option<string?>("--out") { Description = "Save the trained network here (safetensors layout)" };
        var validation = new Option<bool>("--validation") { Description = "Evaluate each epoch on the validation split (last sixth of the training file) instead of the test set" };
        var trainSize = new Option<int?>("--train-size") { Description = "Train on only the first N training examples (quick experiments)" };
        var precision = new Option<string>("--precision") { Description = "float32 (fast) or float64", DefaultValueFactory = _ => "float32" };

        var command = new Command("train", "Train a network with backpropagation and mini-batch SGD, printing each epoch's test accuracy and cost")
        {
            layers, epochs, batch, eta, cost, activation, init, seed, data, output, validation, trainSize, precision,
        };
        command.SetAction(parse =>
        {
            var sizes = CommonOptions.ParseLayers(parse.GetValue(layers)!);
            var settings = new Settings(sizes, CommonOptions.ParseActivations(parse.GetValue(activation)!, sizes.Length - 1),
                CommonOptions.ParseCost(parse.GetValue(cost)!), ParseInit(parse.GetValue(init)!), parse.GetValue(epochs), parse.GetValue(batch),
                parse.GetValue(eta), parse.GetValue(seed), parse.GetValue(data), parse.GetValue(output), parse.GetValue(CommandRunner.Json),
                parse.GetValue(validation), parse.GetValue(trainSize), parse.GetValue(precision)!);
            return settings.Precision switch
            {
                "float32" or "float" or "single" => Run<float>(settings),
                "float64" or "double" => Run<double>(settings),
                var p => throw new CliException($"--precision: '{p}' is not float32 or float64", ExitCodes.InvalidArguments),
            };
        });
        return command;
    }

    private static Initialization ParseInit(string text) => text.ToLowerInvariant() switch
    {
        "standard-normal" or "standard" or "normal" => Initialization.StandardNormal,
        "scaled-normal" or "scaled" => Initialization.ScaledNormal,
        _ => throw new CliException($"--init: '{text}' is not standard-normal or scaled-normal", ExitCodes.InvalidArguments),
    };

    private static int Run<T>(Settings s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(s.Eta > 0) || !double.IsFinite(s.Eta)) throw new CliException($"--eta: the learning rate must be a positive number, got {s.Eta}", ExitCodes.InvalidArguments);
        if (s.Epochs < 0) throw new CliException($"--epochs: must be 0 or more, got {s.Epochs}", ExitCodes.InvalidArguments);
        if (s.Batch < 1) throw new CliException($"--batch: the mini-batch size must be at least 1, got {s.Batch}", ExitCodes.InvalidArguments);
        if (s.TrainSize is < 1) throw new CliException($"--train-size: must be at least 1, got {s.TrainSize}", ExitCodes.InvalidArguments);
        if (s.Out is not null) CheckWritable(s.Out);

        var data = CommonOptions.LocateData(s.Data);
        CommonOptions.CheckShapeAgainstData(s.Layers, data.Training, "--layers");
        var training = s.TrainSize is int n && n < data.Training.Count ? data.Training.Slice(0, n) : data.Training;
        var evaluation = s.Validation ? data.Validation : data.Test;
        string evaluationName = s.Validation ? "validation" : "test";

        var network = new Network<T>(s.Layers, s.Activations, s.Init, s.Seed);
        var sgd = new Sgd<T>(network, s.Cost, T.CreateChecked(s.Eta), s.Batch, s.Seed);

        if (!s.Json)
        {
            Console.WriteLine($"Data: {data.Description}");
            Console.WriteLine($"Network: [{string.Join(", ", s.Layers)}], {string.Join("/", s.Activations.Select(a => a.Name).Distinct())}, {s.Cost.Name} cost, {s.Init} init, {typeof(T).Name}; " +
                              $"SGD η = {s.Eta}, m = {s.Batch}, {s.Epochs} epochs on {training.Count:N0} examples, seed {s.Seed}");
        }
        var epochs = new List<object>();
        EpochReport? best = null;
        var total = Stopwatch.StartNew();
        double trainSeconds = 0;
        for (int epoch = 0; epoch < s.Epochs; epoch++)
        {
            var bar = new ProgressBar($"Epoch {epoch}", training.Count);
            var clock = Stopwatch.StartNew();
            sgd.TrainEpoch(training, bar.Report);
            double seconds = clock.Elapsed.TotalSeconds;
            trainSeconds += seconds;
            bar.Clear();
            var e = sgd.Evaluate(evaluation);
            var report = new EpochReport(epoch, seconds, e.Correct, e.Total, e.Cost);
            if (best is null || report.Correct > best.Correct) best = report;
            epochs.Add(new { epoch, train_seconds = seconds, test_correct = e.Correct, test_total = e.Total, test_cost = e.Cost, evaluated_on = evaluationName });
            if (s.Json)
                Console.Error.WriteLine($"{report} ({evaluationName}), cost {e.Cost:F4}, {seconds:F2} s");
            else
                Console.WriteLine($"{report}, cost {e.Cost:F4}  ({seconds:F2} s, {training.Count / seconds:N0} examples/s)");
        }

        if (s.Out is not null) SaveModel(network, s.Cost, s.Out);

        if (s.Json)
        {
            CommandRunner.WriteJson(new
            {
                command = "train",
                data = new { directory = data.Directory, description = data.Description, bundled_sample = data.IsBundledSample, training = training.Count, evaluation = evaluation.Count, evaluated_on = evaluationName },
                layers = s.Layers,
                activations = s.Activations.Select(a => a.Name),
                cost = s.Cost.Name,
                init = s.Init.ToString(),
                precision = typeof(T) == typeof(float) ? "float32" : "float64",
                eta = s.Eta,
                batch = s.Batch,
                seed = s.Seed,
                epochs,
                best_epoch = best?.Epoch,
                best_accuracy = best?.Accuracy,
                train_seconds_total = trainSeconds,
                wall_seconds = total.Elapsed.TotalSeconds,
                model = s.Out,
            });
        }
        else
        {
            if (best is not null)
                Console.WriteLine($"Best: epoch {best.Epoch}, {best.Correct} / {best.Total} ({best.Accuracy:P2}) on the {evaluationName} data; " +
                                  $"training took {trainSeconds:F1} s ({(double)training.Count * s.Epochs / trainSeconds:N0} examples/s).");
            if (s.Out is not null) Console.WriteLine($"Saved the network to {s.Out}");
            if (data.IsBundledSample)
                Console.WriteLine("Note: this was the small sample bundled with Nabla. For the full Fashion-MNIST, install Debian's package dataset-fashion-mnist or pass --data DIR.");
        }
        return ExitCodes.Success;
    }

    /// <summary>Fails before training, not after, when --out cannot be written.</summary>
    private static void CheckWritable(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory)) throw new CliException($"--out: the folder {directory} does not exist", ExitCodes.InvalidArguments);
        if (Directory.Exists(path)) throw new CliException($"--out: {path} is a folder; give a file name such as model.safetensors", ExitCodes.InvalidArguments);
        try { SafeTensors.CheckWritable(path); }
        catch (NablaException e) { throw new CliException($"--out: {e.Message}", ExitCodes.OutputFailed); }
    }

    /// <summary>A failed save (disk full, folder gone) is an output failure; the writer leaves any old file intact.</summary>
    private static void SaveModel<T>(Network<T> network, Cost cost, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        try { ModelFile.Save(network, cost, path); }
        catch (NablaException e) { throw new CliException($"--out: the trained network was not saved: {e.Message}", ExitCodes.OutputFailed); }
    }
}
