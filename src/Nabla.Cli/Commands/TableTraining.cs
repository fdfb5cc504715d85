using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Nabla.Cli.Plots;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla train --data FILE.csv|.tsv|.parquet --target COLUMN`: a network learns a table. The preprocessing (standardised
/// numbers, one-hot text, the classes or the targets' scale) is learnt on the training rows and saved in the model file, and
/// the defaults are the practitioner's recipe for tables (ReLU, softmax and log-likelihood for classes, identity and quadratic
/// cost for values, Adam η = 0.001, m = 32, one hidden layer of 100: scikit-learn's MLP; and L2 with λ = 3).
/// </summary>
internal static class TableTraining
{
    private static readonly Option<string[]> Target = new("--target") { Description = "Table: the column to predict (classes or numbers), or several numeric columns (--target a,b)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string[]> Features = new("--features") { Description = "Table: the input columns (comma-separated). Default: every column but the targets" };
    private static readonly Option<string?> Test = new("--test") { Description = "Table: a file of test rows with the same columns; then --split divides --data into training (and validation)" };
    private static readonly Option<string?> Split = new("--split") { Description = "Table: fractions of --data for training, [validation,] test, e.g. 0.8,0.1,0.1 (seeded, stratified by class). Default 0.8,0.2; with --test, all of it trains. --validation takes a sixth of the training part when there is no validation part" };
    private static readonly Option<string> Missing = new("--missing") { Description = "Table: empty cells are an error (default), or filled with the training mean (mean), or their rows left out (drop)", DefaultValueFactory = _ => "error" };
    private static readonly Option<string?> Task = new("--task") { Description = "Table: classification or regression (default: text or whole numbers with at most 32 values are classes)" };
    private static readonly Option<string> Hidden = new("--hidden") { Description = "Table: hidden layer sizes, e.g. 100 or 64,32 (the input and output layers follow from the table)", DefaultValueFactory = _ => "100" };
    internal static readonly Option<string[]> TextColumns = new("--text-columns") { Description = "Read these columns as text categories even where their cells are numbers (codes)" };
    internal static readonly Option<int> MaxRecordLength = new("--max-record-length") { Description = "The longest record of a CSV/TSV file, in characters (longer is an error, before it is buffered)", DefaultValueFactory = _ => TableReadOptions.Default.MaxRecordLength };

    public static void AddOptions(Command command)
    {
        foreach (var option in new Option[] { Target, Features, Test, Split, Missing, Task, Hidden, TextColumns, MaxRecordLength })
            command.Options.Add(option);
    }

    /// <summary>True when the run is on a table: --data names a table file, or --target is given.</summary>
    public static bool Applies(ParseResult parse) =>
        parse.GetValue<string?>("--data") is string data && TableReader.IsTable(data) || parse.GetResult(Target) is { Implicit: false };

    /// <summary>The comma-separated names of a repeatable option, in order.</summary>
    internal static string[] Names(ParseResult parse, Option<string[]> option) =>
        (parse.GetValue(option) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();

    /// <summary>Reads a table, turning a missing or unreadable file into an input error (exit 3).</summary>
    internal static Table ReadTable(string path, string option, TableReadOptions options)
    {
        try { return TableReader.Read(path, options); }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException($"{option}: {e.Message}", ExitCodes.InvalidInput); }
    }

    internal static TableReadOptions ReadOptions(ParseResult parse, IReadOnlyCollection<string> textColumns)
    {
        try { return new TableReadOptions { TextColumns = textColumns, MaxRecordLength = parse.GetValue(MaxRecordLength) }; }
        catch (NablaException e) { throw new CliException($"--max-record-length: {e.Message}", ExitCodes.InvalidArguments); }
    }

    /// <summary>The table's training, evaluation and test parts, preprocessed; what was learnt; and a line saying so.</summary>
    internal sealed record TableData(TablePreprocessing Preprocessing, Dataset Training, Dataset? Validation, Dataset Test, string Description);

    private static TableData Load(ParseResult parse, TrainCommand.Settings s)
    {
        string path = s.Data!;
        int seed = s.Seed;
        var settings = new TableSettings
        {
            Targets = Names(parse, Target) is { Length: > 0 } targets ? targets : throw new CliException("--target: name the column to predict (a table needs one)", ExitCodes.InvalidArguments),
            Features = Names(parse, Features) is { Length: > 0 } features ? features : null,
            Missing = parse.GetValue(Missing)!.ToLowerInvariant() switch
            {
                "error" => MissingValues.Error,
                "mean" => MissingValues.Mean,
                "drop" => MissingValues.Drop,
                var m => throw new CliException($"--missing: '{m}' is not error, mean or drop", ExitCodes.InvalidArguments),
            },
            Task = parse.GetValue(Task)?.ToLowerInvariant() switch
            {
                null => null,
                "classification" => TableTask.Classification,
                "regression" => TableTask.Regression,
                var t => throw new CliException($"--task: '{t}' is not classification or regression", ExitCodes.InvalidArguments),
            },
        };
        string? testPath = parse.GetValue(Test);
        var fractions = ParseSplit(parse.GetValue(Split), testPath is not null);
        // --validation, as for IDX files: a sixth of the training part is held out to evaluate each epoch on (unless --split has a validation part already).
        bool validationPart = fractions.Count == (testPath is null ? 3 : 2);
        if (s.Validation && !validationPart) fractions = [fractions[0] * 5 / 6, fractions[0] / 6, .. fractions.Skip(1)];
        var readOptions = ReadOptions(parse, Names(parse, TextColumns));

        try
        {
            // The table is read and let go inside FromTable: a frame that held it (even in a local set to null) kept it
            // alive through the collection below, which is there to drop it before a --test file is read.
            var (preprocessing, training, validation, test, description) = FromTable(path, settings, fractions, testPath is null, readOptions, seed, s.TrainSize);
            if (test is null)
            {
                ReleaseGarbage();
                var testTable = ReadTable(testPath!, "--test", readOptions);
                test = preprocessing.ToDataset(testTable, preprocessing.UsableRows(testTable));
                description += $"{test.Count:N0} test rows from {testPath}";
            }
            else description += $"{test.Count:N0} test";
            return new TableData(preprocessing, training, validation, test, description + $"\nPreprocessing (learnt on the training rows): {preprocessing}");
        }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException(e.Message, ExitCodes.InvalidArguments); }
    }

    /// <summary>
    /// Reads the table, splits it, learns the preprocessing and makes the datasets: training, validation (when the split
    /// has one) and test (when the split has one, i.e. without a --test file); and the description so far.
    /// </summary>
    private static (TablePreprocessing, Dataset, Dataset?, Dataset?, string) FromTable(string path, TableSettings settings, IReadOnlyList<double> fractions,
        bool testInSplit, TableReadOptions readOptions, int seed, int? trainSize)
    {
        // Memory: the table's numbers are about the size of the training inputs made from them, so the peak is the table
        // plus the datasets. The reader's chunks are collected (and their memory given back) before the datasets are made.
        var table = ReadTable(path, "--data", readOptions);
        ReleaseGarbage();
        var rows = TablePreprocessing.Rows(table, settings);
        var parts = fractions.Count == 1 ? [rows.Indices] : rows.Split(fractions, seed);
        int trainingRows = parts[0].Length;
        // --train-size N: the first N training rows (in the file's order), which the preprocessing is learnt on too.
        if (trainSize is int n && n < trainingRows) parts[0] = parts[0][..n];
        var preprocessing = TablePreprocessing.Fit(rows, parts[0]);
        var training = preprocessing.ToDataset(table, parts[0]);
        Dataset? validation = parts.Length == (testInSplit ? 3 : 2) ? preprocessing.ToDataset(table, parts[1]) : null;
        Dataset? test = testInSplit ? preprocessing.ToDataset(table, parts[^1]) : null;
        string split = !testInSplit && fractions.Count == 1 ? ""
            : $"split {string.Join("/", fractions.Select(f => f.ToString("0.###", CultureInfo.InvariantCulture)))}{(rows.Task == TableTask.Classification ? " by class" : "")}, seed {seed}: ";
        string description = $"{path}: {table.RowCount:N0} rows × {table.Columns.Count} columns" +
                             (rows.Indices.Length < table.RowCount ? $" ({table.RowCount - rows.Indices.Length:N0} rows with empty cells left out)" : "") +
                             $"; {split}{training.Count:N0} training{(training.Count < trainingRows ? $" (the first of {trainingRows:N0}, --train-size)" : "")}, " +
                             (validation is null ? "" : $"{validation.Count:N0} validation, ");
        return (preprocessing, training, validation, test, description);
    }

    /// <summary>A full, compacting collection that also returns the freed memory to the system: Fashion-MNIST as a CSV table trained in 618 MB peak RSS without it.</summary>
    private static void ReleaseGarbage() => GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    private static IReadOnlyList<double> ParseSplit(string? text, bool hasTestFile)
    {
        if (text is null) return hasTestFile ? [1.0] : [0.8, 0.2];
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var fractions = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out fractions[i]) || !(fractions[i] > 0 && fractions[i] < 1))
                throw new CliException($"--split: '{parts[i]}' is not a fraction between 0 and 1 (in '{text}')", ExitCodes.InvalidArguments);
        if (Math.Abs(fractions.Sum() - 1) > 1e-6) throw new CliException($"--split: the fractions {text} must add up to 1", ExitCodes.InvalidArguments);
        int most = hasTestFile ? 2 : 3;
        if (fractions.Length < 2 || fractions.Length > most)
            throw new CliException(hasTestFile ? $"--split: with --test, give training,validation fractions (e.g. 0.9,0.1), not '{text}'"
                : $"--split: give training,test or training,validation,test fractions (e.g. 0.8,0.2 or 0.8,0.1,0.1), not '{text}'", ExitCodes.InvalidArguments);
        return fractions;
    }

    /// <summary>The train command's settings with the table's layers and, where not given, the table recipe's defaults.</summary>
    private static TrainCommand.Settings TableDefaults(TrainCommand.Settings s, ParseResult parse, TablePreprocessing preprocessing)
    {
        bool Given(string name) => parse.GetResult(name) is System.CommandLine.Parsing.OptionResult { Implicit: false };
        int[] hidden = CommonOptions.ParseLayers($"1,{parse.GetValue(Hidden)}")[1..];
        int[] layers = [preprocessing.InputSize, .. hidden, preprocessing.OutputSize];
        if (Given("--layers"))
        {
            layers = CommonOptions.ParseLayers(parse.GetValue<string>("--layers")!);
            if (layers[0] != preprocessing.InputSize || layers[^1] != preprocessing.OutputSize)
                throw new CliException($"--layers: the table makes {preprocessing.InputSize} inputs and {preprocessing.OutputSize} outputs, so the layers must start with {preprocessing.InputSize} and end with {preprocessing.OutputSize} (or give only the hidden ones with --hidden)", ExitCodes.InvalidArguments);
        }
        string output = preprocessing.IsClassification ? "softmax" : "identity";
        var activations = Given("--activation")
            ? CommonOptions.ParseActivations(parse.GetValue<string>("--activation")!, layers.Length - 1)
            : CommonOptions.ParseActivations(string.Join(",", Enumerable.Repeat("relu", layers.Length - 2).Append(output)), layers.Length - 1);
        return s with
        {
            Layers = layers,
            Activations = activations,
            Cost = Given("--cost") ? s.Cost : preprocessing.IsClassification ? Nabla.Cost.LogLikelihood : Nabla.Cost.Quadratic,
            Init = Given("--init") ? s.Init : Initialization.ScaledNormal,
            Optimizer = Given("--optimizer") ? s.Optimizer : "adam",
            Eta = Given("--eta") ? s.Eta : 0.001,
            Batch = Given("--batch") ? s.Batch : 32,
            Epochs = Given("--epochs") ? s.Epochs : 200,
            // λ = 3 (λ/n per weight and step): of 0, 0.1, 0.3, 1, 3, 10 and 30, the best mean rank in 5-fold cross-validation on
            // the training splits of scikit-learn's five tables (bench/compare --sklearn prints the scores; no test row used).
            Regularization = Given("--lambda") ? s.Regularization : Regularization.L2(3.0),
            // A table's rows are few and short: gathering a batch costs less than handing it between threads.
            LoadAhead = Given("--load-ahead") && s.LoadAhead,
        };
    }

    public static int Run(TrainCommand.Settings s, ParseResult parse)
    {
        if (s.Data is null || !TableReader.IsTable(s.Data))
            throw new CliException("--target: give the table with --data FILE.csv, .tsv or .parquet", ExitCodes.InvalidArguments);
        if (parse.GetResult("--max-idx-size") is System.CommandLine.Parsing.OptionResult { Implicit: false })
            throw new CliException("--max-idx-size: caps IDX image files, not tables (a table's records are capped by --max-record-length)", ExitCodes.InvalidArguments);
        if (s.TrainSize is < 1) throw new CliException($"--train-size: must be at least 1, got {s.TrainSize}", ExitCodes.InvalidArguments);
        if (s.Out is not null) TrainCommand.CheckWritable(s.Out);
        var data = Load(parse, s);
        s = TableDefaults(s, parse, data.Preprocessing);
        return s.Precision switch
        {
            "float32" or "float" or "single" => Run<float>(s, data),
            "float64" or "double" => Run<double>(s, data),
            var p => throw new CliException($"--precision: '{p}' is not float32 or float64", ExitCodes.InvalidArguments),
        };
    }

    /// <summary>
    /// The IDX run's loop for a table: the same options (--validation, --save, --early-stopping, --checkpoint and --resume,
    /// --plot, --diagnostics) with the same meaning; regression is scored by MSE, MAE and R² in the targets' units, and
    /// every model file written, the checkpoint's included, carries the preprocessing.
    /// </summary>
    private static int Run<T>(TrainCommand.Settings s, TableData data) where T : unmanaged, IFloatingPointIeee754<T>
    {
        s = TrainCommand.Checked(s);
        var pre = data.Preprocessing;
        var training = data.Training;
        var evaluation = data.Validation ?? data.Test;
        string evaluationName = data.Validation is null ? "test" : "validation";
        // --save as for IDX files: by default the best network when the epochs are judged on held-out rows (a validation part, --early-stopping).
        bool keepBest = TrainCommand.KeepBest(s with { Validation = data.Validation is not null });
        if (keepBest && s.Save is not null && evaluation.Count == 0)
            throw new CliException($"--save best: the {evaluationName} part holds no rows, so no epoch can be chosen as the best; use --save last or a larger --split", ExitCodes.InvalidArguments);
        var metadata = new Dictionary<string, string> { [TablePreprocessing.MetadataKey] = pre.ToJson() };
        if (s.Checkpoint is not null) s.Arguments["--checkpoint"] = Path.GetFullPath(s.Checkpoint);
        if (s.Resume is not null) CheckPreprocessing(s.Resume, metadata[TablePreprocessing.MetadataKey]);

        var network = new Network<T>(s.Layers, s.Activations, s.Init, s.Seed);
        var run = TrainCommand.MakeRun(network, s, training.Count);
        using var trainer = run.Sgd; // its threads end with the command

        if (!s.Json)
        {
            System.Console.WriteLine($"Data: {data.Description}");
            System.Console.WriteLine($"Network: [{string.Join(", ", s.Layers)}], {string.Join("/", s.Activations.Select(a => a.Name).Distinct())}, {s.Cost.Name} cost, {Words.Init(s.Init)} init, {Words.Precision<T>()}; " +
                                     $"{run.Sgd.Optimizer.Name} η = {s.Eta.ToString(CultureInfo.InvariantCulture)} ({run.Schedule.Name}), m = {s.Batch}, regularisation {Words.Regularization(s.Regularization)}, dropout {s.Dropout}, " +
                                     $"{Words.Count(s.Epochs, "epoch")} on {Words.Count(training.Count, "row")}, seed {s.Seed}");
            if (s.Resumed is { } resumed) System.Console.WriteLine(resumed.Line(s.Resume!, run.Epoch, run.Sgd.Position, training.Count, "row"));
        }
        // A resumed run reports and plots the epochs before the interruption too, as the run never stopped would.
        var extras = new TrainingDiagnostics(s.Diagnostics, s.Plot, training, s.Seed, s.Json);
        var log = new TrainCommand.RunLog(extras, s.Resumed?.State.Record?.Deserialize<TrainCommand.RunRecord>(CommandRunner.JsonOptions));
        var total = Stopwatch.StartNew();
        using var interruption = new TrainCommand.Interruption();
        while (!run.Finished)
        {
            if (TrainCommand.TrainEpoch(run, training, evaluation, s, interruption) is not { } r)
                return TrainCommand.Interrupted(run, s, training.Count, log.Record(), modelMetadata: metadata);
            var regression = pre.IsClassification ? null : RegressionScores.Of(network, evaluation, pre.TargetStandardDeviations);
            string line = regression is null
                ? TrainCommand.EpochLine(r, s.Monitor, evaluationName)
                : string.Create(CultureInfo.InvariantCulture, $"Epoch {r.Epoch}: {evaluationName} {regression}, cost {r.EvaluationCost:F4}, η {r.Eta:G4}, {r.TrainSeconds:F2} s");
            if (s.Json) System.Console.Error.WriteLine(line); else System.Console.WriteLine(line);
            var diagnosticsReport = extras.AfterEpoch(network, s.Cost, training, r.Epoch, r.Evaluation!.Value, regression?.RSquared);
            log.Add(r, new
            {
                epoch = r.Epoch, train_seconds = r.TrainSeconds, evaluated_on = evaluationName, eta = r.Eta,
                evaluation_cost = r.EvaluationCost,
                evaluation_accuracy = pre.IsClassification ? r.EvaluationAccuracy : null,
                evaluation_correct = pre.IsClassification ? r.Evaluation?.Correct : null,
                evaluation_total = r.Evaluation?.Total,
                evaluation_mse = regression?.MeanSquaredError,
                evaluation_mae = regression?.MeanAbsoluteError,
                evaluation_r2 = regression?.RSquared,
                training_cost = s.Monitor.HasFlag(MonitoredFigures.TrainingCost) ? r.TrainingCost : null,
                training_accuracy = pre.IsClassification && s.Monitor.HasFlag(MonitoredFigures.TrainingAccuracy) ? r.TrainingAccuracy : null,
                diagnostics = diagnosticsReport,
            });
            if (s.Checkpoint is not null) Checkpoint.Save(run, s.Checkpoint, s.Arguments, log.Record(), metadata);
        }
        // The network the run ends with, and --out gets: the best epoch's or the last one's; the test rows score it, once.
        var saved = TrainCommand.Kept(run, keepBest, extras.Points);
        var test = Scores(network, data.Test, pre);
        if (s.Out is not null) TrainCommand.SaveModel(network, s.Cost, s.Out, metadata);
        Func<double, string> score = pre.IsClassification ? a => a.ToString("P2", CultureInfo.InvariantCulture) : r2 => string.Create(CultureInfo.InvariantCulture, $"R² {r2:F4}");
        extras.Finish(s.Cost.Name, evaluationName, $"[{string.Join(",", s.Layers)}], {s.Cost.Name}, η = {s.Eta}, m = {s.Batch}, {training.Count:N0} rows of {Path.GetFileName(s.Data)}",
            run.BestEpoch >= 0 ? run.BestEpoch : null, pre.IsClassification ? PlottedScore.Accuracy : PlottedScore.RSquared);

        if (s.Json)
        {
            CommandRunner.WriteJson(new
            {
                command = "train",
                data = new { file = s.Data, training = training.Count, validation = data.Validation?.Count, test = data.Test.Count, evaluated_on = evaluationName },
                task = pre.IsClassification ? "classification" : "regression",
                targets = pre.Targets,
                classes = pre.IsClassification ? pre.Classes : null,
                features = pre.Features.Select(f => f.Name),
                inputs = pre.InputSize,
                layers = s.Layers,
                activations = s.Activations.Select(a => a.Name),
                cost = s.Cost.Name,
                optimizer = run.Sgd.Optimizer.Name,
                eta = s.Eta,
                batch = s.Batch,
                seed = s.Seed,
                lambda = s.Regularization.Lambda,
                epochs = log.Epochs,
                stop_reason = run.StopReason,
                evaluated_on = evaluationName,
                best_epoch = run.BestEpoch >= 0 ? run.BestEpoch : (int?)null,
                save = saved.Best ? "best" : "last",
                saved_epoch = saved.Epoch,
                saved_score = saved.Accuracy,
                restored_best = saved.Best,
                test = TestJson(test, pre),
                // The test rows' mean cost of the errors alone (the epochs' costs add the weight penalty): comparable across λ.
                test_cost = Sgd<T>.Evaluate(network, s.Cost, data.Test).Cost,
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
            if (run.BestEpoch >= 0 && (saved.Best || run.EarlyStopping is not null))
                System.Console.WriteLine($"Best: epoch {run.BestEpoch}, {score(extras.Points.First(p => p.Epoch == run.BestEpoch).Accuracy)} on the {evaluationName} data.");
            if (run.StopReason is "early-stopping" or "schedule") System.Console.WriteLine($"Stopped by {run.StopReason} after epoch {run.Epoch - 1}.");
            if (log.EpochsRun > 0) System.Console.WriteLine($"Training took {log.TrainSeconds:F1} s ({(double)training.Count * log.EpochsRun / Math.Max(log.TrainSeconds, 1e-9):N0} rows/s).");
            WriteScores(test, pre, saved.Best ? $"Test, of the best network (epoch {saved.Epoch})" : "Test");
            if (s.Out is not null) System.Console.WriteLine(TrainCommand.SavedLine(saved, run, extras.Points, evaluationName, $"{s.Out} with its preprocessing", score));
        }
        return ExitCodes.Success;
    }

    /// <summary>
    /// A resumed run learns its preprocessing again from the same rows; it must be the one in the checkpoint's model file,
    /// or the weights would meet inputs scaled otherwise than those they were trained on.
    /// </summary>
    private static void CheckPreprocessing(string checkpoint, string learnt)
    {
        string path = Path.Combine(checkpoint, Checkpoint.ModelFileName);
        IReadOnlyDictionary<string, string> saved;
        try { saved = SafeTensors.Read(path).Metadata; }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException($"--resume: {e.Message}", ExitCodes.InvalidInput); }
        if (!saved.TryGetValue(TablePreprocessing.MetadataKey, out var json))
            throw new CliException($"--resume: {checkpoint} is the checkpoint of a run on IDX images, not on a table (its model file has no preprocessing)", ExitCodes.InvalidArguments);
        if (json != learnt)
            throw new CliException($"--resume: the preprocessing learnt from --data now differs from the one in its checkpoint " +
                                   "(the file changed, or --features, --target, --missing, --split or --train-size was given anew); the weights fit only the checkpoint's", ExitCodes.InvalidArguments);
    }

    /// <summary>What evaluation prints: a confusion matrix for classes, MSE/MAE/R² in the targets' units for values.</summary>
    internal sealed record TableScores(ConfusionMatrix? Classes, RegressionScores? Regression);

    internal static TableScores Scores<T>(Network<T> network, Dataset data, TablePreprocessing pre) where T : unmanaged, IFloatingPointIeee754<T> =>
        pre.IsClassification
            ? new TableScores(ConfusionMatrix.Of(network, data), null)
            : new TableScores(null, RegressionScores.Of(network, data, pre.TargetStandardDeviations));

    internal static object TestJson(TableScores scores, TablePreprocessing pre) => scores.Classes is ConfusionMatrix m
        ? new
        {
            rows = m.Total, correct = m.Correct, accuracy = m.Accuracy,
            per_class = Enumerable.Range(0, m.ClassCount).Select(c => new { @class = pre.Classes[c], support = m.Support(c), precision = m.Precision(c), recall = m.Recall(c) }),
        }
        : new { rows = scores.Regression!.Count, mse = scores.Regression.MeanSquaredError, mae = scores.Regression.MeanAbsoluteError, r2 = scores.Regression.RSquared };

    /// <summary>Prose: accuracy and a per-class table of precision and recall, or MSE, MAE and R².</summary>
    internal static void WriteScores(TableScores scores, TablePreprocessing pre, string what)
    {
        if (scores.Classes is not ConfusionMatrix m)
        {
            System.Console.WriteLine($"{what}: {scores.Regression} on {scores.Regression!.Count:N0} rows ({string.Join(", ", pre.Targets)}, in their units)");
            return;
        }
        System.Console.WriteLine($"{what}: {m.Correct:N0} / {m.Total:N0} ({m.Accuracy:P2})");
        WriteClasses(m, pre);
    }

    /// <summary>Per class: precision, recall and support, one line each.</summary>
    internal static void WriteClasses(ConfusionMatrix m, TablePreprocessing pre)
    {
        int width = Math.Max(5, pre.Classes.Max(c => Math.Min(c.Length, 30)));
        System.Console.WriteLine($"  {"class".PadRight(width)}  precision  recall  support");
        for (int c = 0; c < m.ClassCount; c++)
        {
            string name = pre.Classes[c].Length > 30 ? pre.Classes[c][..27] + "..." : pre.Classes[c];
            System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name.PadRight(width)}  {Percent(m.Precision(c)),9}  {Percent(m.Recall(c)),6}  {m.Support(c),7:N0}"));
        }
    }

    /// <summary>`nabla evaluate --model FILE --data TABLE`: the model's scores on every row of a table with its input and target columns.</summary>
    public static int Evaluate(ParseResult parse, string modelPath, string tablePath)
    {
        var predictor = PredictCommand.LoadPredictor(modelPath);
        var pre = predictor.Preprocessing;
        var options = ReadOptions(parse, pre.Features.Where(f => f.Kind == ColumnKind.Text).Select(f => f.Name).ToArray());
        var table = ReadTable(tablePath, "--data", options);
        var data = pre.ToDataset(table, pre.UsableRows(table));
        var scores = Scores(predictor.Network, data, pre);
        if (parse.GetValue(CommandRunner.Json))
            CommandRunner.WriteJson(new { command = "evaluate", model = modelPath, data = tablePath, task = pre.IsClassification ? "classification" : "regression", layers = predictor.Network.Sizes, test = TestJson(scores, pre) });
        else
        {
            System.Console.WriteLine($"Model: {modelPath}: {predictor.Network}; {pre}");
            WriteScores(scores, pre, $"On {tablePath}");
        }
        return ExitCodes.Success;
    }

    private static string Percent(double value) => double.IsNaN(value) ? "—" : value.ToString("P1", CultureInfo.InvariantCulture);
}
