using System.Runtime.InteropServices;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;

namespace Nabla.Cli.Commands;

/// <summary>`nabla train`: the chapter's experiment — SGD on MNIST-format data, one line per epoch — with chapter 3's refinements as options.</summary>
internal static class TrainCommand
{
    private sealed record Settings(int[] Layers, Activation[] Activations, Cost Cost, Initialization Init, int Epochs, int Batch,
        double Eta, int Seed, string? Data, string? Out, bool Json, bool Validation, int? TrainSize, string Precision)
    {
        public int Threads { get; init; }
        public bool LoadAhead { get; init; }
        public bool Diagnostics { get; init; }
        public string? Plot { get; init; }
        public Regularization Regularization { get; init; }
        public double Dropout { get; init; }
        public string Optimizer { get; init; } = "sgd";
        public double Momentum { get; init; }
        public string Schedule { get; init; } = "constant";
        public double StepGamma { get; init; }
        public int StepEvery { get; init; }
        public int HalvingPatience { get; init; }
        public int Halvings { get; init; }
        public int? EarlyStopping { get; init; }
        public MonitoredFigures Monitor { get; init; }
        public string? Checkpoint { get; init; }
        public string? Resume { get; init; }
        /// <summary>The options that define the run, as given, for the checkpoint (a resumed run parses them again).</summary>
        public Dictionary<string, string> Arguments { get; init; } = [];
    }

    // Options that say where to write or how to print, not what to train: a resumed run takes them from its own command line.
    private static readonly HashSet<string> NotSaved = ["--resume", "--checkpoint", "--out", "--json", "--verbose", "--data"];

    public static Command Create()
    {
        var layers = CommonOptions.Layers();
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training data (the most, with early stopping or the halving schedule)", DefaultValueFactory = _ => 30 };
        var batch = new Option<int>("--batch") { Description = "Mini-batch size m", DefaultValueFactory = _ => 10 };
        var eta = new Option<double>("--eta") { Description = "Learning rate η (the first one, with a schedule)", DefaultValueFactory = _ => 3.0 };
        var cost = CommonOptions.Cost();
        var activation = CommonOptions.Activation();
        var init = CommonOptions.Init();
        var seed = CommonOptions.Seed();
        var data = CommonOptions.Data();
        var output = new Option<string?>("--out") { Description = "Save the trained network here (safetensors layout)" };
        var validation = new Option<bool>("--validation") { Description = "Evaluate each epoch on the validation split (last sixth of the training file) instead of the test set; the test set is then used once, at the end" };
        var trainSize = new Option<int?>("--train-size") { Description = "Train on only the first N training examples (quick experiments)" };
        var precision = new Option<string>("--precision") { Description = "float32 (fast) or float64", DefaultValueFactory = _ => "float32" };
        var lambda = CommonOptions.Lambda();
        var regularization = CommonOptions.RegularizationKind();
        var dropout = CommonOptions.Dropout();
        var optimizer = CommonOptions.Optimizer();
        var momentum = CommonOptions.Momentum();
        var schedule = new Option<string>("--schedule") { Description = "constant; step (η × --step-gamma every --step-every epochs); halving (η/2 when evaluation accuracy has not improved for --halving-patience epochs, stop after --halvings halvings)", DefaultValueFactory = _ => "constant" };
        var stepGamma = new Option<double>("--step-gamma") { Description = "Factor γ of the step schedule", DefaultValueFactory = _ => 0.5 };
        var stepEvery = new Option<int>("--step-every") { Description = "Period in epochs of the step schedule", DefaultValueFactory = _ => 10 };
        var halvingPatience = new Option<int>("--halving-patience") { Description = "Epochs without improvement before the halving schedule halves η", DefaultValueFactory = _ => 10 };
        var halvings = new Option<int>("--halvings") { Description = "Halvings after which the halving schedule stops (7: η/128)", DefaultValueFactory = _ => 7 };
        var earlyStopping = new Option<int?>("--early-stopping") { Description = "Stop when evaluation accuracy has not improved for N epochs, and keep the best network" };
        var monitor = new Option<string>("--monitor") { Description = "Figures per epoch: any of training-cost, training-accuracy, evaluation-cost, evaluation-accuracy (comma-separated), or all", DefaultValueFactory = _ => "evaluation-cost,evaluation-accuracy" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Write a checkpoint into this folder after each epoch (model.safetensors, optimiser, schedule, generator state)" };
        var resume = new Option<string?>("--resume") { Description = "Continue the run checkpointed in this folder, with its settings (--epochs, --out, --data, --checkpoint, --threads, --load-ahead, --diagnostics and --plot may be given anew)" };

        var diagnostics = new Option<bool>("--diagnostics") { Description = "After each epoch, print per layer: saturated neurons, silent inputs, mean |δ|, ‖∇w‖, ‖∇b‖ (on 1,000 training examples)" };
        var plot = new Option<string?>("--plot") { Description = "Draw accuracy and cost per epoch to this file (.png or .svg)" };
        var threads = BenchCommand.ThreadsOption();
        var loadAhead = BenchCommand.LoadAheadOption();

        var command = new Command("train", "Train a network with backpropagation and mini-batch SGD, printing each epoch's accuracy and cost")
        {
            layers, epochs, batch, eta, cost, activation, init, seed, data, output, validation, trainSize, precision,
            lambda, regularization, dropout, optimizer, momentum, schedule, stepGamma, stepEvery, halvingPatience, halvings,
            earlyStopping, monitor, checkpoint, resume, threads, loadAhead, diagnostics, plot,
        };
        command.SetAction(parse =>
        {
            // A resumed run takes its settings from the checkpoint, parsed like a command line.
            var source = parse;
            if (parse.GetValue(resume) is string resumeDirectory)
            {
                var saved = ReadSavedArguments(resumeDirectory);
                // These may be given anew; everything else that defines the run comes from the checkpoint.
                foreach (var option in new Option[] { epochs, output, data, threads, loadAhead, diagnostics, plot })
                    if (parse.GetResult(option) is { Implicit: false } given) saved[option.Name] = string.Join(",", given.Tokens.Select(t => t.Value));
                var tokens = saved.SelectMany(pair => pair.Value.Length == 0 ? [pair.Key] : new[] { pair.Key, pair.Value }).ToList();
                source = command.Parse(tokens);
                if (source.Errors.Count > 0) throw new CliException($"--resume: the checkpoint's settings do not parse: {source.Errors[0].Message}", ExitCodes.InvalidInput);
            }
            var sizes = CommonOptions.ParseLayers(source.GetValue(layers)!);
            var settings = new Settings(sizes, CommonOptions.ParseActivations(source.GetValue(activation)!, sizes.Length - 1),
                CommonOptions.ParseCost(source.GetValue(cost)!), CommonOptions.ParseInit(source.GetValue(init)!), source.GetValue(epochs), source.GetValue(batch),
                source.GetValue(eta), source.GetValue(seed), source.GetValue(data), source.GetValue(output), parse.GetValue(CommandRunner.Json),
                source.GetValue(validation), source.GetValue(trainSize), source.GetValue(precision)!)
            {
                Regularization = CommonOptions.ParseRegularization(source.GetValue(regularization)!, source.GetValue(lambda)),
                Dropout = source.GetValue(dropout),
                Optimizer = source.GetValue(optimizer)!.ToLowerInvariant(),
                Momentum = source.GetValue(momentum),
                Schedule = source.GetValue(schedule)!.ToLowerInvariant(),
                StepGamma = source.GetValue(stepGamma),
                StepEvery = source.GetValue(stepEvery),
                HalvingPatience = source.GetValue(halvingPatience),
                Halvings = source.GetValue(halvings),
                EarlyStopping = source.GetValue(earlyStopping),
                Monitor = ParseMonitor(source.GetValue(monitor)!),
                Checkpoint = parse.GetValue(checkpoint) ?? parse.GetValue(resume),
                Resume = parse.GetValue(resume),
                Arguments = ExplicitArguments(source, command),
                Threads = source.GetValue(threads),
                LoadAhead = source.GetValue(loadAhead),
                Diagnostics = source.GetValue(diagnostics),
                Plot = source.GetValue(plot),
            };
            return settings.Precision switch
            {
                "float32" or "float" or "single" => Run<float>(settings),
                "float64" or "double" => Run<double>(settings),
                var p => throw new CliException($"--precision: '{p}' is not float32 or float64", ExitCodes.InvalidArguments),
            };
        });
        return command;
    }

    /// <summary>The options given on the command line (not defaults) that define the run, name → value ("" for a flag).</summary>
    private static Dictionary<string, string> ExplicitArguments(ParseResult parse, Command command)
    {
        var arguments = new Dictionary<string, string>();
        foreach (var option in command.Options)
            if (!NotSaved.Contains(option.Name) && parse.GetResult(option) is { Implicit: false } result)
                arguments[option.Name] = string.Join(",", result.Tokens.Select(t => t.Value));
        return arguments;
    }

    private static Dictionary<string, string> ReadSavedArguments(string directory)
    {
        try { return Checkpoint.ReadState(directory).Settings; }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException($"--resume: {e.Message}", ExitCodes.InvalidInput); }
    }

    private static MonitoredFigures ParseMonitor(string text)
    {
        var monitor = MonitoredFigures.None;
        foreach (var name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            monitor |= name.ToLowerInvariant() switch
            {
                "training-cost" => MonitoredFigures.TrainingCost,
                "training-accuracy" => MonitoredFigures.TrainingAccuracy,
                "evaluation-cost" => MonitoredFigures.EvaluationCost,
                "evaluation-accuracy" => MonitoredFigures.EvaluationAccuracy,
                "all" => MonitoredFigures.All,
                "none" => MonitoredFigures.None,
                _ => throw new CliException($"--monitor: '{name}' is not training-cost, training-accuracy, evaluation-cost, evaluation-accuracy, all or none", ExitCodes.InvalidArguments),
            };
        return monitor;
    }

    private static LearningRateSchedule MakeSchedule(Settings s) => s.Schedule switch
    {
        "constant" => new ConstantSchedule(s.Eta),
        "step" => new StepSchedule(s.Eta, s.StepGamma, s.StepEvery),
        "halving" => new HalvingSchedule(s.Eta, s.HalvingPatience, s.Halvings),
        var o => throw new CliException($"--schedule: '{o}' is not constant, step or halving", ExitCodes.InvalidArguments),
    };

    private static int Run<T>(Settings s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(s.Eta > 0) || !double.IsFinite(s.Eta)) throw new CliException($"--eta: the learning rate must be a positive number, got {s.Eta}", ExitCodes.InvalidArguments);
        if (s.Epochs < 0) throw new CliException($"--epochs: must be 0 or more, got {s.Epochs}", ExitCodes.InvalidArguments);
        if (s.Batch < 1) throw new CliException($"--batch: the mini-batch size must be at least 1, got {s.Batch}", ExitCodes.InvalidArguments);
        if (s.TrainSize is < 1) throw new CliException($"--train-size: must be at least 1, got {s.TrainSize}", ExitCodes.InvalidArguments);
        s = s with { Threads = BenchCommand.ResolveThreads(s.Threads, s.Layers, s.Batch) };
        if (!(s.Dropout >= 0 && s.Dropout < 1)) throw new CliException($"--dropout: p must be in [0, 1), got {s.Dropout}", ExitCodes.InvalidArguments);
        if (s.EarlyStopping is < 1) throw new CliException($"--early-stopping: must be at least 1 epoch, got {s.EarlyStopping}", ExitCodes.InvalidArguments);
        if (s.Out is not null) CheckWritable(s.Out);

        CommonOptions.CheckCostFitsOutput(s.Cost, s.Activations[^1]);
        var data = CommonOptions.LocateData(s.Data);
        CommonOptions.CheckShapeAgainstData(s.Layers, data.Training, "--layers");
        var training = s.TrainSize is int n && n < data.Training.Count ? data.Training.Slice(0, n) : data.Training;
        var evaluation = s.Validation ? data.Validation : data.Test;
        string evaluationName = s.Validation ? "validation" : "test";

        var network = new Network<T>(s.Layers, s.Activations, s.Init, s.Seed);
        TrainingRun<T> run;
        try
        {
            var sgd = new Sgd<T>(network, s.Cost, T.CreateChecked(s.Eta), s.Batch, s.Seed, s.Threads)
            {
                Regularization = s.Regularization,
                Optimizer = CommonOptions.MakeOptimizer<T>(s.Optimizer, s.Layers, s.Momentum),
                DropoutProbability = s.Dropout,
            };
            sgd.LoadAhead = s.LoadAhead && s.Threads == 1;
            run = new TrainingRun<T>(sgd, MakeSchedule(s), s.Epochs, s.EarlyStopping is int patience ? new EarlyStopping(patience) : null);
            if (s.Resume is not null) Checkpoint.Restore(run, s.Resume);
        }
        catch (NablaException e) when (e is not InvalidFileException)
        {
            throw new CliException(e.Message, ExitCodes.InvalidArguments);
        }
        using var trainer = run.Sgd; // its threads end with the command

        if (!s.Json)
        {
            Console.WriteLine($"Data: {data.Description}");
            Console.WriteLine($"Network: [{string.Join(", ", s.Layers)}], {string.Join("/", s.Activations.Select(a => a.Name).Distinct())}, {s.Cost.Name} cost, {s.Init} init, {typeof(T).Name}; " +
                              $"{run.Sgd.Optimizer.Name} η = {s.Eta} ({run.Schedule.Name}), m = {s.Batch}, regularisation {s.Regularization}, dropout {s.Dropout}, " +
                              $"{s.Epochs} epochs on {training.Count:N0} examples, seed {s.Seed}");
            if (s.Resume is not null)
                Console.WriteLine(run.Sgd.Position > 0
                    ? $"Resumed from {s.Resume} in epoch {run.Epoch}, at example {run.Sgd.Position:N0} of {training.Count:N0}"
                    : $"Resumed from {s.Resume} after epoch {run.Epoch - 1}");
        }
        var extras = new TrainingDiagnostics(s.Diagnostics, s.Plot, training, s.Seed, s.Json);
        var epochs = new List<object>();
        var total = Stopwatch.StartNew();
        double trainSeconds = 0;
        int epochsRun = 0;
        bool warnedConstantOutput = false;
        using var interruption = new Interruption();
        while (!run.Finished)
        {
            var bar = new ProgressBar($"Epoch {run.Epoch}", training.Count);
            EpochResult r;
            try
            {
                r = run.RunEpoch(training, evaluation, s.Monitor, bar.Report, interruption.Token);
            }
            catch (OperationCanceledException) when (interruption.Token.IsCancellationRequested)
            {
                bar.Clear();
                return Interrupted(run, s, training.Count);
            }
            catch (TrainingDivergedException diverged)
            {
                bar.Clear();
                // Nothing is saved: the last checkpoint and any earlier --out file stay as they were.
                string kept = s.Checkpoint is not null && File.Exists(Path.Combine(s.Checkpoint, Checkpoint.StateFileName))
                    ? $"; the last good checkpoint in {s.Checkpoint} is intact" : "";
                throw new CliException($"{diverged.Message} (--eta {s.Eta}){kept}", ExitCodes.Diverged);
            }
            bar.Clear();
            trainSeconds += r.TrainSeconds;
            epochsRun++;
            var e = r.Evaluation!.Value;
            string line = EpochLine(r, s.Monitor, evaluationName);
            if (s.Json) Console.Error.WriteLine(line); else Console.WriteLine(line);
            var diagnosticsReport = extras.AfterEpoch(network, s.Cost, training, r.Epoch, e);
            string? warning = e.SameOutputForEveryExample ? ConstantOutputWarning(network, evaluation, r.Epoch, evaluationName, e) : null;
            if (warning is not null && !warnedConstantOutput) Console.Error.WriteLine($"nabla: warning: {warning}"); // once: the next epochs say the same
            warnedConstantOutput |= warning is not null;
            epochs.Add(EpochJson(r, evaluationName, s.Monitor, diagnosticsReport, warning));
            if (s.Checkpoint is not null) Checkpoint.Save(run, s.Checkpoint, s.Arguments);
        }
        // Early stopping keeps the best network: the one at the best evaluation accuracy.
        if (run.EarlyStopping is not null) run.RestoreBest();
        Evaluation? finalTest = s.Validation ? run.Sgd.Evaluate(data.Test) : null;

        if (s.Out is not null) SaveModel(network, s.Cost, s.Out);
        extras.Finish(s.Cost.Name, evaluationName, $"[{string.Join(",", s.Layers)}], {s.Cost.Name}, η = {s.Eta}, m = {s.Batch}, {training.Count:N0} examples");

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
                optimizer = run.Sgd.Optimizer.Name,
                schedule = run.Schedule.Name,
                regularization = s.Regularization.Kind.ToString().ToLowerInvariant(),
                lambda = s.Regularization.Lambda,
                dropout = s.Dropout,
                epochs,
                stop_reason = run.StopReason,
                evaluated_on = evaluationName,
                best_epoch = run.BestEpoch >= 0 ? run.BestEpoch : (int?)null,
                best_accuracy = run.BestEpoch >= 0 ? run.BestAccuracy : (double?)null,
                restored_best = run.EarlyStopping is not null,
                final_test_correct = finalTest?.Correct,
                final_test_total = finalTest?.Total,
                final_test_accuracy = finalTest?.Accuracy,
                train_seconds_total = trainSeconds,
                wall_seconds = total.Elapsed.TotalSeconds,
                model = s.Out,
                checkpoint = s.Checkpoint,
            });
        }
        else
        {
            if (run.BestEpoch >= 0)
                Console.WriteLine($"Best: epoch {run.BestEpoch}, {run.BestAccuracy:P2} on the {evaluationName} data" +
                                  (run.EarlyStopping is not null ? " (kept)" : "") +
                                  (epochsRun > 0 ? $"; training took {trainSeconds:F1} s ({(double)training.Count * epochsRun / trainSeconds:N0} examples/s)." : "."));
            if (run.StopReason is "early-stopping" or "schedule") Console.WriteLine($"Stopped by {run.StopReason} after epoch {run.Epoch - 1}.");
            if (finalTest is Evaluation t) Console.WriteLine($"Test: {t.Correct} / {t.Total} ({t.Accuracy:P2}), cost {t.Cost:F4}");
            if (s.Out is not null) Console.WriteLine($"Saved the network to {s.Out}");
            if (data.IsBundledSample)
                Console.WriteLine("Note: this was the small sample bundled with Nabla. For the full Fashion-MNIST, install Debian's package dataset-fashion-mnist or pass --data DIR.");
        }
        return ExitCodes.Success;
    }

    /// <summary>
    /// One epoch in --json: the evaluation figures are named after the data they come from (test_correct, or validation_correct
    /// under --validation; evaluated_on says which), so that test_* always means the test set.
    /// </summary>
    private static Dictionary<string, object?> EpochJson(EpochResult r, string evaluatedOn, MonitoredFigures monitor, object? diagnostics, string? warning)
    {
        var e = r.Evaluation!.Value;
        var json = new Dictionary<string, object?>
        {
            ["epoch"] = r.Epoch, ["train_seconds"] = r.TrainSeconds,
            [$"{evaluatedOn}_correct"] = e.Correct, [$"{evaluatedOn}_total"] = e.Total, [$"{evaluatedOn}_cost"] = e.Cost,
            ["evaluated_on"] = evaluatedOn, ["eta"] = r.Eta,
            ["training_cost"] = monitor.HasFlag(MonitoredFigures.TrainingCost) ? r.TrainingCost : null,
            ["training_accuracy"] = monitor.HasFlag(MonitoredFigures.TrainingAccuracy) ? r.TrainingAccuracy : null,
            ["evaluation_cost"] = monitor.HasFlag(MonitoredFigures.EvaluationCost) ? r.EvaluationCost : null,
            ["evaluation_accuracy"] = monitor.HasFlag(MonitoredFigures.EvaluationAccuracy) ? r.EvaluationAccuracy : null,
            ["same_output_for_every_example"] = e.SameOutputForEveryExample,
            ["diagnostics"] = diagnostics,
        };
        if (warning is not null) json["warning"] = warning;
        return json;
    }

    /// <summary>A network that answers the same for every evaluation example has stopped looking at its input: say so, and why it likely did.</summary>
    private static string ConstantOutputWarning<T>(Network<T> network, Dataset evaluation, int epoch, string evaluatedOn, Evaluation e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var report = Nabla.Diagnostics.ConstantOutput.Explain(network, evaluation);
        return $"after epoch {epoch} the network gives the same output for every one of the {e.Total:N0} {evaluatedOn} examples " +
               $"({e.Accuracy:P2} is the share of the one class it answers)" + (report is null ? "" : $": {report.Message}");
    }

    /// <summary>The book's "Epoch 0: 9129 / 10000", with the monitored figures after it.</summary>
    private static string EpochLine(EpochResult r, MonitoredFigures monitor, string evaluationName)
    {
        var e = r.Evaluation!.Value;
        var parts = new List<string> { $"Epoch {r.Epoch}: {e.Correct} / {e.Total} ({evaluationName})" };
        if (monitor.HasFlag(MonitoredFigures.EvaluationCost)) parts.Add($"cost {e.Cost:F4}");
        if (r.Training is Evaluation t)
        {
            if (monitor.HasFlag(MonitoredFigures.TrainingAccuracy)) parts.Add($"training {t.Correct} / {t.Total}");
            if (monitor.HasFlag(MonitoredFigures.TrainingCost)) parts.Add($"training cost {t.Cost:F4}");
        }
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"η {r.Eta:G4}, {r.TrainSeconds:F2} s"));
        return string.Join(", ", parts);
    }

    /// <summary>
    /// Ctrl-C (or SIGTERM) during training: the current mini-batch finishes, a checkpoint is written (into
    /// --checkpoint, or a new folder), and the command says how to resume and exits with 130.
    /// </summary>
    private static int Interrupted<T>(TrainingRun<T> run, Settings s, int trainingCount) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string directory = s.Checkpoint ?? Path.GetFullPath($"nabla-interrupted-{DateTime.Now:yyyyMMdd-HHmmss}");
        try
        {
            Checkpoint.Save(run, directory, s.Arguments);
        }
        catch (NablaException e)
        {
            throw new CliException($"interrupted, and the checkpoint could not be written: {e.Message}", ExitCodes.OutputFailed);
        }
        Console.Error.WriteLine($"nabla: interrupted in epoch {run.Epoch} after {run.Sgd.Position:N0} of {trainingCount:N0} examples; " +
                                $"checkpoint written to {directory}. Resume with: nabla train --resume {directory}");
        if (s.Json) CommandRunner.WriteJson(new { interrupted = true, epoch = run.Epoch, position = run.Sgd.Position, checkpoint = directory, exit_code = ExitCodes.Interrupted });
        return ExitCodes.Interrupted;
    }

    /// <summary>Turns the first SIGINT/SIGTERM into a cancellation request; a second one ends the process at once.</summary>
    private sealed class Interruption : IDisposable
    {
        private readonly CancellationTokenSource _source = new();
        private readonly PosixSignalRegistration[] _registrations;

        public Interruption() =>
            _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];

        public CancellationToken Token => _source.Token;

        private void Handle(PosixSignalContext context)
        {
            if (_source.IsCancellationRequested) return; // the second signal: default handling, the process ends
            context.Cancel = true;
            Console.Error.WriteLine();
            Console.Error.WriteLine("nabla: stopping after this mini-batch (press Ctrl-C again to quit at once, without a checkpoint)");
            _source.Cancel();
        }

        public void Dispose()
        {
            foreach (var r in _registrations) r.Dispose();
            _source.Dispose();
        }
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
