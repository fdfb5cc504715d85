using System.Runtime.InteropServices;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Nabla.Cli.Plots;

namespace Nabla.Cli.Commands;

/// <summary>`nabla train`: the chapter's experiment — SGD on MNIST-format data, one line per epoch — with chapter 3's refinements as options.</summary>
internal static class TrainCommand
{
    internal sealed record Settings(int[] Layers, Activation[] Activations, Cost Cost, Initialization Init, int Epochs, int Batch,
        double Eta, int Seed, string? Data, string? Out, bool Json, bool Validation, int? TrainSize, string Precision)
    {
        public int Threads { get; init; }
        public bool LoadAhead { get; init; }
        public bool Diagnostics { get; init; }
        public string? Plot { get; init; }
        public IdxLimits? IdxLimits { get; init; }
        public Regularization Regularization { get; init; }
        public double Dropout { get; init; }
        /// <summary>--expand: the largest shift (pixels) and rotation (degrees) of chapter 3's expanded data, how rotated images are read, whether half are mirrored; null without --expand.</summary>
        public (int Shift, double Rotation, string Interpolation, bool Mirror)? Expand { get; init; }
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
        public ResumedRun? Resumed { get; init; }
        /// <summary>best, last, or null: best when the run chooses a network (--validation, --early-stopping), else last.</summary>
        public string? Save { get; init; }
        /// <summary>Data-parallel over MPI (--distributed, or started by mpirun).</summary>
        public bool Distributed { get; init; }
        /// <summary>Every option of the run, for the checkpoint: `--resume DIR` alone parses them again and finishes the run.</summary>
        public Dictionary<string, string> Arguments { get; init; } = [];
    }

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
        var maxIdxSize = CommonOptions.MaxIdxSize();
        var output = new Option<string?>("--out") { Description = "Save the trained network here (safetensors layout)" };
        var validation = new Option<bool>("--validation") { Description = "Evaluate each epoch on the validation split (last sixth of the training file; for a table, a sixth of the training part) instead of the test set; the test set is then used once, at the end" };
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
        var resume = new Option<string?>("--resume") { Description = "Continue the run checkpointed in this folder with all its options (--out, --data, --plot … included); options given anew override them, except those the checkpoint fixes (--layers, --precision, --seed, --init, --optimizer, --schedule)" };
        var expand = new Option<bool>("--expand") { Description = "Expand the training data as in chapter 3: each epoch sees every training image moved by a small shift (and rotation, mirror: the options below), drawn anew each epoch (seeded; made as the mini-batches are gathered, no copy of the data)" };
        var expandShift = new Option<int>("--expand-shift") { Description = "With --expand: the largest shift in pixels, right/left and down/up (each drawn from -N..N; the book's expand_mnist.py shifts by 1)", DefaultValueFactory = _ => DefaultExpandShift };
        var expandRotation = new Option<double>("--expand-rotation") { Description = "With --expand: the largest rotation in degrees, either way (drawn uniformly; 0: none)", DefaultValueFactory = _ => DefaultExpandRotation };
        var expandMirror = new Option<bool>("--expand-mirror") { Description = "With --expand: also mirror half the images left to right, drawn anew each epoch (not in the book: right for clothes, wrong for digits)" };
        var expandInterpolation = new Option<string>("--expand-interpolation") { Description = "With --expand: how a rotated image is read between pixels: nearest (sharp, as torchvision's rotations) or bilinear (smooth, a little blurred)", DefaultValueFactory = _ => "nearest" };
        var save = new Option<string?>("--save") { Description = "Which network --out gets: best (the best epoch on the evaluation data) or last (the last epoch's). Default: best with --validation or --early-stopping, which choose on held-out data; else last, since choosing by test accuracy would overstate it" };

        var diagnostics = new Option<bool>("--diagnostics") { Description = "After each epoch, print per layer: saturated neurons, silent inputs, mean |δ|, ‖∇w‖, ‖∇b‖ (on 1,000 training examples)" };
        var plot = new Option<string?>("--plot") { Description = "Draw accuracy and cost per epoch to this file (.png or .svg)" };
        var threads = BenchCommand.ThreadsOption();
        var loadAhead = BenchCommand.LoadAheadOption();
        var distributed = DistributedSession.Option();

        var command = new Command("train", "Train a network with backpropagation and mini-batch SGD, printing each epoch's accuracy and cost")
        {
            layers, epochs, batch, eta, cost, activation, init, seed, data, maxIdxSize, output, validation, trainSize, precision,
            lambda, regularization, dropout, optimizer, momentum, schedule, stepGamma, stepEvery, halvingPatience, halvings,
            earlyStopping, monitor, checkpoint, resume, threads, loadAhead, diagnostics, plot, save, expand, expandShift, expandRotation, expandInterpolation, expandMirror, distributed,
        };
        TableTraining.AddOptions(command);
        command.SetAction(parse =>
        {
            // A resumed run takes its options from the checkpoint, parsed like a command line, with the new ones over them.
            var resumed = parse.GetValue(resume) is string resumeDirectory ? ResumedRun.Read(command, parse, resumeDirectory) : null;
            var source = resumed?.Parse ?? parse;
            var sizes = CommonOptions.ParseLayers(source.GetValue(layers)!);
            var settings = new Settings(sizes, CommonOptions.ParseActivations(source.GetValue(activation)!, sizes.Length - 1),
                CommonOptions.ParseCost(source.GetValue(cost)!), CommonOptions.ParseInit(source.GetValue(init)!), source.GetValue(epochs), source.GetValue(batch),
                source.GetValue(eta), source.GetValue(seed), source.GetValue(data), source.GetValue(output), parse.GetValue(CommandRunner.Json),
                source.GetValue(validation), source.GetValue(trainSize), source.GetValue(precision)!)
            {
                Regularization = CommonOptions.ParseRegularization(source.GetValue(regularization)!, source.GetValue(lambda)),
                Dropout = source.GetValue(dropout),
                Expand = ParseExpand(source, expand, expandShift, expandRotation, expandInterpolation, expandMirror),
                Optimizer = source.GetValue(optimizer)!.ToLowerInvariant(),
                Momentum = source.GetValue(momentum),
                Schedule = source.GetValue(schedule)!.ToLowerInvariant(),
                StepGamma = source.GetValue(stepGamma),
                StepEvery = source.GetValue(stepEvery),
                HalvingPatience = source.GetValue(halvingPatience),
                Halvings = source.GetValue(halvings),
                EarlyStopping = source.GetValue(earlyStopping),
                Monitor = ParseMonitor(source.GetValue(monitor)!),
                // A resumed run goes on checkpointing into the folder it resumed from, unless told otherwise.
                Checkpoint = parse.GetValue(checkpoint) ?? parse.GetValue(resume),
                Resume = parse.GetValue(resume),
                Resumed = resumed,
                Save = source.GetValue(save),
                Arguments = ResumedRun.ExplicitArguments(source, command),
                Threads = source.GetValue(threads),
                LoadAhead = source.GetValue(loadAhead),
                Diagnostics = source.GetValue(diagnostics),
                Plot = source.GetValue(plot),
                IdxLimits = source.GetValue(maxIdxSize),
                Distributed = DistributedSession.Wanted(parse, distributed), // how this job was started, not the checkpoint's
            };
            settings.Arguments.Remove("--distributed");
            if (TableTraining.Applies(source))
            {
                if (settings.Distributed)
                    throw new CliException("--distributed: tables (--data FILE.csv, .tsv, .parquet) train on one process; distributed training reads MNIST-format image data", ExitCodes.InvalidArguments);
                return settings.Expand is null ? TableTraining.Run(settings, source)
                    : throw new CliException("--expand: it moves the pixels of images, and a table's rows have no image shape; it works on MNIST-format (IDX) image data", ExitCodes.InvalidArguments);
            }
            return CommonOptions.ParsePrecision(settings.Precision) == "float32" ? Run<float>(settings) : Run<double>(settings);
        });
        return command;
    }

    /// <summary>
    /// The defaults of --expand-shift and --expand-rotation: the book's expand_mnist.py (shifts of one pixel, no rotation). On
    /// Fashion-MNIST's validation split rotations of up to 10° did worse than shifts alone (README).
    /// </summary>
    internal const int DefaultExpandShift = 1;
    internal const double DefaultExpandRotation = 0;

    /// <summary>--expand and its two sizes; a size given without --expand is a mistake worth saying.</summary>
    private static (int, double, string, bool)? ParseExpand(ParseResult parse, Option<bool> expand, Option<int> shift, Option<double> rotation,
        Option<string> interpolation, Option<bool> mirror)
    {
        if (!parse.GetValue(expand))
        {
            foreach (var size in new Option[] { shift, rotation, interpolation, mirror })
                if (parse.GetResult(size) is { Implicit: false })
                    throw new CliException($"{size.Name}: applies only with --expand (add --expand to expand the training data)", ExitCodes.InvalidArguments);
            return null;
        }
        return (parse.GetValue(shift), parse.GetValue(rotation), parse.GetValue(interpolation)!, parse.GetValue(mirror));
    }

    /// <summary>--expand on this data, its sizes checked with the options' names.</summary>
    private static ImageExpansion MakeExpansion(Dataset training, int shift, double rotation, string interpolation, bool mirror)
    {
        var reading = interpolation.ToLowerInvariant() switch
        {
            "nearest" => ImageInterpolation.Nearest,
            "bilinear" => ImageInterpolation.Bilinear,
            _ => throw CommonOptions.NotOneOf("--expand-interpolation", interpolation, ["nearest", "bilinear"]),
        };
        var shape = training.ImageShape ?? throw new CliException("--expand: it moves the pixels of images, and this data has no image shape", ExitCodes.InvalidArguments);
        int largest = Math.Min(shape.Rows, shape.Columns) - 1;
        if (shift < 0 || shift > largest)
            throw new CliException($"--expand-shift: must be 0 to {largest} pixels for the {shape} images of this data, got {shift}", ExitCodes.InvalidArguments);
        if (!(rotation >= 0 && rotation <= 180))
            throw new CliException(string.Create(CultureInfo.InvariantCulture, $"--expand-rotation: must be 0 to 180 degrees, got {rotation}"), ExitCodes.InvalidArguments);
        if (shift == 0 && rotation == 0 && !mirror)
            throw new CliException("--expand: with --expand-shift 0, --expand-rotation 0 and no --expand-mirror no image would move; give a shift, a rotation or a mirror", ExitCodes.InvalidArguments);
        return new ImageExpansion(shape, shift, rotation, reading, mirror);
    }

    private static MonitoredFigures ParseMonitor(string text)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in names)
            if (!MonitoredFiguresNames.Names.Contains(name.ToLowerInvariant())) throw CommonOptions.NotOneOf("--monitor", name, MonitoredFiguresNames.Names);
        return MonitoredFiguresNames.Parse(names);
    }

    internal static LearningRateSchedule MakeSchedule(Settings s) => s.Schedule switch
    {
        "constant" => new ConstantSchedule(s.Eta),
        "step" => new StepSchedule(s.Eta, s.StepGamma, s.StepEvery),
        "halving" => new HalvingSchedule(s.Eta, s.HalvingPatience, s.Halvings),
        var o => throw CommonOptions.NotOneOf("--schedule", o, ["constant", "step", "halving"]),
    };

    /// <summary>The checks an IDX run and a table's share, before anything is read; with the thread count chosen.</summary>
    internal static Settings Checked(Settings s)
    {
        if (!(s.Eta > 0) || !double.IsFinite(s.Eta)) throw new CliException($"--eta: the learning rate must be a positive number, got {s.Eta}", ExitCodes.InvalidArguments);
        if (s.Epochs < 0) throw new CliException($"--epochs: must be 0 or more, got {s.Epochs}", ExitCodes.InvalidArguments);
        if (s.Batch < 1) throw new CliException($"--batch: the mini-batch size must be at least 1, got {s.Batch}", ExitCodes.InvalidArguments);
        if (!(s.Dropout >= 0 && s.Dropout < 1)) throw new CliException($"--dropout: p must be in [0, 1), got {s.Dropout}", ExitCodes.InvalidArguments);
        if (s.EarlyStopping is < 1) throw new CliException($"--early-stopping: must be at least 1 epoch, got {s.EarlyStopping}", ExitCodes.InvalidArguments);
        return s with { Threads = BenchCommand.ResolveThreads(s.Threads, s.Layers, s.Batch) };
    }

    /// <summary>
    /// The trainer and its run, as the options say, resumed from --resume when given; <paramref name="configure"/> adds what
    /// only one kind of run has (the expansion, the MPI communicator) before the checkpoint is put back. The library's
    /// objections to the settings are argument errors.
    /// </summary>
    internal static TrainingRun<T> MakeRun<T>(Network<T> network, Settings s, int trainingCount, Action<Sgd<T>>? configure = null, int checkpointProcesses = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        try
        {
            var sgd = new Sgd<T>(network, s.Cost, T.CreateChecked(s.Eta), s.Batch, s.Seed, s.Threads)
            {
                Regularization = s.Regularization,
                Optimizer = CommonOptions.MakeOptimizer<T>(s.Optimizer, s.Layers, s.Momentum),
                DropoutProbability = s.Dropout,
                LoadAhead = s.LoadAhead && s.Threads == 1,
            };
            configure?.Invoke(sgd);
            var run = new TrainingRun<T>(sgd, MakeSchedule(s), s.Epochs, s.EarlyStopping is int patience ? new EarlyStopping(patience) : null);
            if (s.Resume is not null) Restore(run, s, trainingCount, checkpointProcesses);
            return run;
        }
        catch (NablaException e) when (e is not InvalidFileException)
        {
            throw new CliException(e.Message, ExitCodes.InvalidArguments);
        }
    }

    private static int Run<T>(Settings s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        s = Checked(s);
        if (s.TrainSize is < 1) throw new CliException($"--train-size: must be at least 1, got {s.TrainSize}", ExitCodes.InvalidArguments);
        // In an MPI job every process runs this command; process 0 alone prints and writes (DistributedSession).
        var session = DistributedSession.Start(s.Distributed); // finalised by CommandRunner when the command returns
        bool root = session?.IsRoot ?? true;
        if (s.Out is not null && root) CheckWritable(s.Out);
        bool keepBest = KeepBest(s);

        CommonOptions.CheckCostFitsOutput(s.Cost, s.Activations[^1]);
        // A resumed run reports and plots the epochs before the interruption too, as the run never stopped would.
        var record = s.Resumed?.State.Record?.Deserialize<RunRecord>(CommandRunner.JsonOptions);
        var data = CommonOptions.LocateData(s.Data, s.IdxLimits);
        // The data found is part of the run: a resumed run reads the folder the run read, even if another would be found first now.
        if (s.Data is null && record?.DataDirectory is string read && read != Path.GetFullPath(data.Directory))
            data = CommonOptions.LocateData(read, s.IdxLimits);
        CommonOptions.CheckShapeAgainstData(s.Layers, data.Training, "--layers");
        var training = s.TrainSize is int n && n < data.Training.Count ? data.Training.Slice(0, n) : data.Training;
        var evaluation = s.Validation ? data.Validation : data.Test;
        string evaluationName = s.Validation ? "validation" : "test";
        if (keepBest && s.Save is not null && evaluation.Count == 0)
            throw new CliException($"--save best: the {evaluationName} data holds no examples, so no epoch can be chosen as the best; " +
                                   $"use --save last{(s.Validation ? "" : " or --validation")}", ExitCodes.InvalidArguments);
        if (s.Checkpoint is not null) s.Arguments["--checkpoint"] = Path.GetFullPath(s.Checkpoint);

        var network = new Network<T>(s.Layers, s.Activations, s.Init, s.Seed);
        var run = MakeRun(network, s, training.Count, sgd =>
        {
            if (s.Expand is var (shift, rotation, interpolation, mirror)) sgd.Expansion = MakeExpansion(training, shift, rotation, interpolation, mirror);
            if (session is not null) sgd.Communicator = session.Mpi;
        }, record?.Processes ?? 1);
        using var trainer = run.Sgd; // its threads end with the command

        if (!s.Json)
        {
            Console.WriteLine($"Data: {data.Description}");
            Console.WriteLine($"Network: [{string.Join(", ", s.Layers)}], {string.Join("/", s.Activations.Select(a => a.Name).Distinct())}, {s.Cost.Name} cost, {Words.Init(s.Init)} init, {Words.Precision<T>()}; " +
                              $"{run.Sgd.Optimizer.Name} η = {s.Eta} ({run.Schedule.Name}), m = {s.Batch}, regularisation {Words.Regularization(s.Regularization)}, dropout {s.Dropout}, " +
                              $"{Words.Count(s.Epochs, "epoch")} on {Words.Count(training.Count, "example")}{(run.Sgd.Expansion is { } x ? $" expanded ({x})" : "")}, seed {s.Seed}");
            if (session is not null)
                Console.WriteLine($"Distributed: {Words.Count(session.Size, "process", "processes")} (Open MPI), each training on its m = {s.Batch} of every mini-batch of {s.Batch * session.Size}; process 0 evaluates and writes");
            if (s.Resumed is { } resumed) Console.WriteLine(resumed.Line(s.Resume!, run.Epoch, run.Sgd.Position, training.Count, "example"));
        }
        var extras = new TrainingDiagnostics(s.Diagnostics && root, root ? s.Plot : null, training, s.Seed, s.Json);
        var log = new RunLog(extras, record, Path.GetFullPath(data.Directory), session?.Size);
        var total = Stopwatch.StartNew();
        bool warnedConstantOutput = false;
        using var interruption = new Interruption();
        while (!run.Finished)
        {
            // In an MPI job the processes stop after the same step (a signal to any of them is agreed on within a step), and
            // wait for process 0's checkpoint before they exit: mpirun ends a job as soon as one of its processes has.
            if (TrainEpoch(run, training, evaluation, s, interruption, stoppedElsewhere: session is not null) is not { } r)
            {
                int code = root ? Interrupted(run, s, training.Count, log.Record(), session?.Size) : ExitCodes.Interrupted;
                session?.Mpi.Barrier();
                return code;
            }
            var e = r.Evaluation!.Value;
            string line = EpochLine(r, s.Monitor, evaluationName);
            if (s.Json) Console.Error.WriteLine(line); else Console.WriteLine(line);
            var diagnosticsReport = extras.AfterEpoch(network, s.Cost, training, r.Epoch, e);
            string? warning = e.SameOutputForEveryExample ? ConstantOutputWarning(network, evaluation, r.Epoch, evaluationName, e) : null;
            if (warning is not null && !warnedConstantOutput) Console.Error.WriteLine($"nabla: warning: {warning}"); // once: the next epochs say the same
            warnedConstantOutput |= warning is not null;
            log.Add(r, EpochJson(r, evaluationName, s.Monitor, diagnosticsReport, warning));
            if (s.Checkpoint is not null && root) Checkpoint.Save(run, s.Checkpoint, s.Arguments, log.Record());
        }
        // The network the run ends with, and --out gets: the best epoch's or the last one's.
        var saved = Kept(run, keepBest, extras.Points);
        Evaluation? finalTest = s.Validation ? run.Sgd.Evaluate(data.Test) : null;

        if (s.Out is not null && root) SaveModel(network, s.Cost, s.Out, new Dictionary<string, string> { [ImageInputs.MetadataKey] = data.Images.ToJson() });
        extras.Finish(s.Cost.Name, evaluationName, $"[{string.Join(",", s.Layers)}], {s.Cost.Name}, η = {s.Eta}, m = {s.Batch}, {Words.Count(training.Count, "example")}",
            run.BestEpoch >= 0 ? run.BestEpoch : null);

        if (s.Json)
        {
            CommandRunner.WriteJson(new
            {
                command = "train",
                data = new { directory = data.Directory, description = data.Description, bundled_sample = data.IsBundledSample, training = training.Count, evaluation = evaluation.Count, evaluated_on = evaluationName },
                layers = s.Layers,
                activations = s.Activations.Select(a => a.Name),
                cost = s.Cost.Name,
                init = Words.Init(s.Init),
                precision = Words.Precision<T>(),
                eta = s.Eta,
                batch = s.Batch,
                seed = s.Seed,
                processes = session?.Size ?? 1,
                global_batch = run.Sgd.GlobalBatchSize,
                optimizer = run.Sgd.Optimizer.Name,
                schedule = run.Schedule.Name,
                regularization = Words.RegularizationKind(s.Regularization),
                lambda = s.Regularization.Lambda,
                dropout = s.Dropout,
                expand = run.Sgd.Expansion is { } x ? new { max_shift = x.MaxShift, max_rotation_degrees = x.MaxRotationDegrees, interpolation = x.Interpolation.ToString().ToLowerInvariant(), mirror = x.Mirror } : null,
                epochs = log.Epochs,
                stop_reason = run.StopReason,
                evaluated_on = evaluationName,
                best_epoch = run.BestEpoch >= 0 ? run.BestEpoch : (int?)null,
                best_accuracy = run.BestEpoch >= 0 ? run.BestAccuracy : (double?)null,
                save = saved.Best ? "best" : "last",
                saved_epoch = saved.Epoch,
                saved_accuracy = saved.Accuracy,
                restored_best = saved.Best,
                final_test_correct = finalTest?.Correct,
                final_test_total = finalTest?.Total,
                final_test_accuracy = finalTest?.Accuracy,
                train_seconds_total = log.TrainSeconds,
                wall_seconds = total.Elapsed.TotalSeconds,
                model = s.Out,
                checkpoint = s.Checkpoint,
                resumed_from = s.Resume,
                given_anew = s.Resumed?.GivenAnew,
            });
        }
        else
        {
            if (run.BestEpoch >= 0)
                Console.WriteLine($"Best: epoch {run.BestEpoch}, {run.BestAccuracy:P2} on the {evaluationName} data" +
                                  (log.EpochsRun > 0 ? $"; training took {log.TrainSeconds:F1} s ({(double)training.Count * log.EpochsRun / log.TrainSeconds:N0} examples/s)." : "."));
            if (run.StopReason is "early-stopping" or "schedule") Console.WriteLine($"Stopped by {run.StopReason} after epoch {run.Epoch - 1}.");
            if (finalTest is Evaluation t)
                Console.WriteLine($"Test: {t.Correct} / {t.Total} ({t.Accuracy:P2}), cost {t.Cost:F4}, of the {(saved.Best ? "best" : "last epoch's")} network{(saved.Epoch is int k ? $" (epoch {k})" : "")}");
            if (s.Out is not null) Console.WriteLine(SavedLine(saved, run, extras.Points, evaluationName, s.Out));
            if (data.IsBundledSample)
                Console.WriteLine("Note: this was the small sample bundled with Nabla. For the full Fashion-MNIST, install Debian's package dataset-fashion-mnist or pass --data DIR.");
        }
        return ExitCodes.Success;
    }

    /// <summary>What a checkpoint keeps of the run's report: each epoch's JSON figures, the plot's points, the training time, the data read.</summary>
    /// <remarks><paramref name="Processes"/>: the processes of a distributed run (null: one), whose number fixes the global mini-batch.</remarks>
    internal sealed record RunRecord(JsonElement Epochs, IReadOnlyList<EpochPoint> Points, double TrainSeconds, int EpochsTrained, string? DataDirectory, int? Processes = null);

    /// <summary>
    /// The run's report so far, continued from the checkpoint's <see cref="RunRecord"/> when resumed: each epoch's JSON
    /// figures, the training time and the epochs trained (the plot's points are kept by <see cref="TrainingDiagnostics"/>).
    /// </summary>
    internal sealed class RunLog
    {
        private readonly TrainingDiagnostics _extras;
        private readonly string? _dataDirectory;
        private readonly int? _processes;

        public RunLog(TrainingDiagnostics extras, RunRecord? record, string? dataDirectory = null, int? processes = null)
        {
            (_extras, _dataDirectory, _processes) = (extras, dataDirectory, processes);
            if (record is null) return;
            Epochs.AddRange(record.Epochs.EnumerateArray().Select(e => (object)e.Clone()));
            extras.Restore(record.Points);
            (TrainSeconds, EpochsRun) = (record.TrainSeconds, record.EpochsTrained);
        }

        public List<object> Epochs { get; } = [];
        public double TrainSeconds { get; private set; }
        public int EpochsRun { get; private set; }

        public void Add(EpochResult r, object json)
        {
            TrainSeconds += r.TrainSeconds;
            EpochsRun++;
            Epochs.Add(json);
        }

        /// <summary>What the next checkpoint keeps.</summary>
        public JsonElement Record() => JsonSerializer.SerializeToElement(
            new RunRecord(JsonSerializer.SerializeToElement(Epochs, CommandRunner.JsonOptions), _extras.Points, TrainSeconds, EpochsRun, _dataDirectory, _processes),
            CommandRunner.JsonOptions);
    }

    /// <summary>
    /// One epoch under a progress bar; null when it was interrupted (by a signal, or with <paramref name="stoppedElsewhere"/>
    /// by another process of an MPI job), the run then at the step it stopped after. A diverged run is an error.
    /// </summary>
    internal static EpochResult? TrainEpoch<T>(TrainingRun<T> run, Dataset training, Dataset evaluation, Settings s, Interruption interruption,
        bool stoppedElsewhere = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var bar = new ProgressBar($"Epoch {run.Epoch}", training.Count, startedAt: run.Sgd.Position < training.Count ? run.Sgd.Position : 0);
        try
        {
            return run.RunEpoch(training, evaluation, s.Monitor, bar.Report, interruption.Token);
        }
        catch (OperationCanceledException) when (interruption.Token.IsCancellationRequested || stoppedElsewhere)
        {
            return null;
        }
        catch (TrainingDivergedException diverged)
        {
            throw Diverged(diverged, s);
        }
        finally
        {
            bar.Clear();
        }
    }

    /// <summary>The network the run ends with: the best epoch's (<paramref name="Best"/>) or the last one's.</summary>
    internal sealed record SavedNetwork(bool Best, int? Epoch, double? Accuracy);

    /// <summary>
    /// --save: best or last; by default best when the run chooses on held-out data (--validation, --early-stopping),
    /// else last: choosing the network by its test accuracy would make that accuracy an optimistic estimate.
    /// </summary>
    internal static bool KeepBest(Settings s)
    {
        bool best = s.Save?.ToLowerInvariant() switch
        {
            null => s.Validation || s.EarlyStopping is not null,
            "best" => true,
            "last" => false,
            var other => throw CommonOptions.NotOneOf("--save", other, ["best", "last"]),
        };
        if (best && s.Save is not null && s.Epochs == 0)
            throw new CliException("--save best: with --epochs 0 no epoch is evaluated, so there is no best network to save; use --save last", ExitCodes.InvalidArguments);
        return best;
    }

    /// <summary>Puts the best network back when it is the one to keep (there is none before the first evaluation).</summary>
    internal static SavedNetwork Kept<T>(TrainingRun<T> run, bool keepBest, IReadOnlyList<EpochPoint> points) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (keepBest && run.Best is not null)
        {
            run.RestoreBest();
            return new SavedNetwork(true, run.BestEpoch, BestScore(run, points));
        }
        return points.Count > 0 ? new SavedNetwork(false, points[^1].Epoch, points[^1].Accuracy)
            : new SavedNetwork(false, run.Epoch > 0 ? run.Epoch - 1 : null, null);
    }

    /// <summary>The best epoch's score as plotted (a table's regression plots R², while the run ranks epochs by cost).</summary>
    private static double BestScore<T>(TrainingRun<T> run, IReadOnlyList<EpochPoint> points) where T : unmanaged, IFloatingPointIeee754<T> =>
        points.FirstOrDefault(p => p.Epoch == run.BestEpoch)?.Accuracy ?? run.BestAccuracy;

    /// <summary>
    /// "Saved the best network, of epoch 27 (86.14 % on the test data), to o.safetensors; …": which network, and how to get
    /// the other. <paramref name="score"/> writes an epoch's score (accuracy as a percentage by default).
    /// </summary>
    internal static string SavedLine<T>(SavedNetwork saved, TrainingRun<T> run, IReadOnlyList<EpochPoint> points, string evaluationName, string path,
        Func<double, string>? score = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        score ??= accuracy => $"{accuracy:P2}";
        string On(double accuracy) => $"{score(accuracy)} on the {evaluationName} data";
        if (saved.Epoch is not int epoch) return $"Saved the network as initialised (no epoch was trained) to {path}";
        var last = points.Count > 0 ? points[^1] : null;
        if (run.BestEpoch < 0 || saved.Accuracy is null) return $"Saved the network of the last epoch, {epoch}, to {path}";
        if (last is null || run.BestEpoch == last.Epoch)
            return $"Saved the network of epoch {epoch}, the best and the last ({On(saved.Accuracy.Value)}), to {path}";
        return saved.Best
            ? $"Saved the best network, of epoch {epoch} ({On(saved.Accuracy.Value)}), to {path}; the last epoch, {last.Epoch}, had {score(last.Accuracy)} (--save last saves it)"
            : $"Saved the network of the last epoch, {epoch} ({On(saved.Accuracy.Value)}), to {path}; the best was epoch {run.BestEpoch}, {score(BestScore(run, points))} (--save best saves it)";
    }

    /// <summary>
    /// Puts the checkpoint into the run, then what was given anew on the resume line over it (η), after checking that
    /// the checkpoint's place in the epoch fits the data.
    /// </summary>
    internal static void Restore<T>(TrainingRun<T> run, Settings s, int trainingCount, int checkpointProcesses = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int processes = run.Sgd.Communicator?.Size ?? 1;
        if (processes != checkpointProcesses)
            throw new CliException($"--resume: the checkpoint's run trained on {Words.Count(checkpointProcesses, "process", "processes")} (mini-batches of {checkpointProcesses} × {s.Batch}), " +
                                   $"this one has {processes}: resume it with {(checkpointProcesses > 1 ? $"mpirun -np {checkpointProcesses} nabla train" : "nabla train, without mpirun")}, " +
                                   "so that its steps stay the run's", ExitCodes.InvalidArguments);
        Checkpoint.Restore(run, s.Resume!);
        int trained = run.Sgd.Order.Length;
        if (trained > 0 && trained != trainingCount)
            throw new CliException($"--resume: the checkpoint's run trains on {trained:N0} examples, this one would train on {trainingCount:N0} " +
                                   "(--data or --train-size given anew?); its shuffle order and place in the epoch fit only the same examples", ExitCodes.InvalidArguments);
        if (s.Resumed?.EtaGivenAnew == true)
            run.Schedule.RestoreState(new Dictionary<string, double>(run.Schedule.SaveState()) { ["eta"] = s.Eta });
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
    internal static string EpochLine(EpochResult r, MonitoredFigures monitor, string evaluationName)
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
    /// The error for a run that diverged, with the η to lower and, when there is one, the checkpoint left intact. Nothing is
    /// saved: the last checkpoint and any earlier --out file stay as they were.
    /// </summary>
    internal static CliException Diverged(TrainingDivergedException diverged, Settings s)
    {
        string kept = s.Checkpoint is not null && File.Exists(Path.Combine(s.Checkpoint, Checkpoint.StateFileName))
            ? $"; the last good checkpoint in {s.Checkpoint} is intact" : "";
        return new CliException($"{diverged.Message} (--eta {s.Eta}){kept}", ExitCodes.Diverged);
    }

    /// <summary>
    /// Ctrl-C (or SIGTERM) during training: the current mini-batch finishes, a checkpoint is written (into
    /// --checkpoint, or a new folder), and the command says how to resume and exits with 130.
    /// </summary>
    internal static int Interrupted<T>(TrainingRun<T> run, Settings s, int trainingCount, JsonElement record, int? processes = null,
        IReadOnlyDictionary<string, string>? modelMetadata = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string directory = Path.GetFullPath(s.Checkpoint ?? $"nabla-interrupted-{DateTime.Now:yyyyMMdd-HHmmss}");
        try
        {
            Checkpoint.Save(run, directory, s.Arguments, record, modelMetadata);
        }
        catch (NablaException e)
        {
            throw new CliException($"interrupted, and the checkpoint could not be written: {e.Message}", ExitCodes.OutputFailed);
        }
        // The checkpoint holds every option of the run, so the folder is all the line needs (and --json, how this run printed).
        string resume = $"{(processes is int n ? $"mpirun -np {n} " : "")}nabla train --resume {ResumedRun.Quoted(directory)}{(s.Json ? " --json" : "")}";
        Console.Error.WriteLine($"nabla: interrupted in epoch {run.Epoch} after {run.Sgd.Position:N0} of {trainingCount:N0} examples; " +
                                $"checkpoint written to {directory}. Resume with: {resume}");
        if (s.Json) CommandRunner.WriteJson(new { interrupted = true, epoch = run.Epoch, position = run.Sgd.Position, checkpoint = directory, resume, exit_code = ExitCodes.Interrupted });
        return ExitCodes.Interrupted;
    }

    /// <summary>Turns the first SIGINT/SIGTERM into a cancellation request; a second one ends the process at once.</summary>
    internal sealed class Interruption : IDisposable
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
    internal static void CheckWritable(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory)) throw new CliException($"--out: the folder {directory} does not exist", ExitCodes.InvalidArguments);
        if (Directory.Exists(path)) throw new CliException($"--out: {path} is a folder; give a file name such as model.safetensors", ExitCodes.InvalidArguments);
        try { SafeTensors.CheckWritable(path); }
        catch (NablaException e) { throw new CliException($"--out: {e.Message}", ExitCodes.OutputFailed); }
    }

    /// <summary>
    /// A failed save (disk full, folder gone) is an output failure; the writer leaves any old file intact. The metadata says
    /// what the inputs are (the images' size and class names, or a table's preprocessing), for `nabla predict`.
    /// </summary>
    internal static void SaveModel<T>(Network<T> network, Cost cost, string path, IReadOnlyDictionary<string, string> metadata) where T : unmanaged, IFloatingPointIeee754<T>
    {
        try { ModelFile.Save(network, cost, path, metadata); }
        catch (NablaException e) { throw new CliException($"--out: the trained network was not saved: {e.Message}", ExitCodes.OutputFailed); }
    }
}
