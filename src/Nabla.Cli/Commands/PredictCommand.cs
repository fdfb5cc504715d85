using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla predict --model FILE --input rows.csv|.tsv|.parquet [--output out.csv]`: one output row per input row, in order,
/// through the matrix path; the model's own preprocessing turns the raw columns into inputs.
/// </summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A model file written by `nabla train --out FILE` (on a table or on IDX images)", Required = true };
        var input = new Option<string?>("--input") { Description = "The rows to predict: a .csv, .tsv or .parquet file with the model's input columns (others are ignored); or images, as FILES" };
        var files = new Argument<string[]>("FILES")
        {
            Description = "Images for a model trained on IDX images: IDX image files (t10k-images-idx3-ubyte[.gz]) or pictures (PNG, JPEG, GIF, BMP, WebP)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<string?>("--output") { Description = "Write the predictions here as CSV (written to a temporary file, then renamed). Default: standard output" };
        var classes = new Option<string?>("--classes") { Description = "Names of an image model's classes, comma-separated in output order (a model trained on --data DIR names them 0, 1, … unless the folder's name says fashion)" };
        var invert = new Option<string>("--invert") { Description = "Pictures: turn dark-on-light into light-on-dark, as the training images are: auto (when the picture's border is light), yes or no", DefaultValueFactory = _ => "auto" };
        var maxIdxSize = CommonOptions.MaxIdxSize();
        var command = new Command("predict", "Predict the class (with probabilities) or the values of every row of a table, or the class of images, with a trained model")
        {
            model, input, files, output, classes, invert, maxIdxSize, TableTraining.MaxRecordLength,
        };
        command.SetAction(parse =>
        {
            string modelPath = parse.GetValue(model)!;
            string[] paths = [.. parse.GetValue(input) is string one ? [one] : Array.Empty<string>(), .. parse.GetValue(files) ?? []];
            string? outputPath = parse.GetValue(output);
            if (paths.Length == 0)
                throw new CliException("--input: give what to predict: a table (--input rows.csv), or images (nabla predict --model M image.png or t10k-images-idx3-ubyte)", ExitCodes.InvalidArguments);
            if (outputPath is not null) TrainCommand.CheckWritable(outputPath);
            var predictor = LoadPredictor(modelPath);
            if (paths.Any(TableReader.IsTable))
            {
                if (paths.Length > 1) throw new CliException($"--input: one table at a time, not {paths.Length} files ({string.Join(", ", paths)})", ExitCodes.InvalidArguments);
                if (parse.GetResult(classes) is { Implicit: false })
                    throw new CliException($"--classes: names the classes of a model trained on images; a table's model has its own ({ListNames(predictor.Classes)})", ExitCodes.InvalidArguments);
                return PredictTable(parse, predictor, modelPath, paths[0], outputPath);
            }
            string invertMode = parse.GetValue(invert)!.ToLowerInvariant();
            if (invertMode is not ("auto" or "yes" or "no")) throw CommonOptions.NotOneOf("--invert", invertMode, ["auto", "yes", "no"]);
            return ImagePrediction.Run(predictor, modelPath, paths, outputPath, ClassNames(parse.GetValue(classes), predictor), invertMode,
                parse.GetValue(maxIdxSize), parse.GetValue(CommandRunner.Json));
        });
        return command;
    }

    /// <summary>"'a', 'b', 'c', … (12 in all)": a few names, quoted.</summary>
    internal static string ListNames(IEnumerable<string> names)
    {
        var all = names.ToList();
        return string.Join(", ", all.Take(5).Select(n => $"'{InvalidTableException.Shorten(n)}'")) + (all.Count > 5 ? $", … ({all.Count} in all)" : "");
    }

    /// <summary>--classes, or the names the model file gives.</summary>
    private static IReadOnlyList<string> ClassNames(string? text, Predictor predictor)
    {
        if (text is null) return predictor.Classes;
        var names = text.Split(',', StringSplitOptions.TrimEntries);
        if (names.Length != predictor.OutputSize || names.Any(n => n.Length == 0) || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new CliException($"--classes: the model has {predictor.OutputSize} classes; give as many distinct names, comma-separated (got {names.Length}: '{text}')", ExitCodes.InvalidArguments);
        return names;
    }

    private static int PredictTable(ParseResult parse, Predictor predictor, string modelPath, string inputPath, string? outputPath)
    {
        if (predictor.Images is { } images)
            throw new CliException($"--input: the model {modelPath} was trained on {images.Rows}×{images.Columns} images; give it images (an IDX image file, PNG, JPEG …), not a table", ExitCodes.InvalidArguments);
        var clock = Stopwatch.StartNew();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        // Only the model's input columns are read, text ones as text whatever their cells look like.
        var options = TableTraining.ReadOptions(parse, predictor.Features.Where(f => f.Kind == ColumnKind.Text).Select(f => f.Name).ToArray())
            with { Columns = predictor.Features.Select(f => f.Name).ToArray() };
        Table table;
        try { table = TableTraining.ReadTable(inputPath, "--input", options); }
        catch (InvalidTableException e) when (e.Row == 0 && e.Column is not null && e.Message.Contains("no such column", StringComparison.Ordinal))
        {
            throw new CliException($"--input: the model {modelPath} takes column '{InvalidTableException.Shorten(e.Column)}' as an input: {e.Message}", ExitCodes.InvalidInput);
        }
        double readSeconds = clock.Elapsed.TotalSeconds;
        var predictions = predictor.Predict(table);
        double predictSeconds = clock.Elapsed.TotalSeconds - readSeconds;
        var pre = predictor.Preprocessing;
        WriteOutput(outputPath, writer => WriteCsv(writer, predictor, pre.IsClassification ? pre.Targets[0] : null, pre.IsClassification ? pre.Classes : pre.Targets, predictions, null));
        double seconds = clock.Elapsed.TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds; // less disturbed by a busy machine than the wall clock
        if (parse.GetValue(CommandRunner.Json))
            CommandRunner.WriteJson(new { command = "predict", model = modelPath, input = inputPath, output = outputPath, rows = predictions.Count, read_seconds = readSeconds, predict_seconds = predictSeconds, total_seconds = seconds, cpu_seconds = cpu, rows_per_minute = predictions.Count / seconds * 60, rows_per_cpu_minute = predictions.Count / cpu * 60 });
        else if (outputPath is not null)
            System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Predicted {predictions.Count:N0} rows of {inputPath} into {outputPath} in {seconds:F2} s (reading {readSeconds:F2} s, network {predictSeconds:F2} s; {predictions.Count / seconds * 60:N0} rows/min; CPU time {cpu:F2} s)"));
        return ExitCodes.Success;
    }

    internal static Predictor LoadPredictor(string path)
    {
        try { return Predictor.Load(path); }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException($"--model: {e.Message}", ExitCodes.InvalidInput); }
    }

    /// <summary>
    /// The header: the predicted class (column <paramref name="classColumn"/>) and, for each class of <paramref name="outputs"/>,
    /// p(class) from a softmax layer (probabilities) or a(class) from another (the output activations a^L_j, which need not
    /// sum to 1); or, without a class column, the predicted value of each target named in <paramref name="outputs"/>. Then
    /// one line per prediction, after its name in <paramref name="names"/> (an "image" column) when given.
    /// </summary>
    internal static void WriteCsv(TextWriter writer, Predictor predictor, string? classColumn, IReadOnlyList<string> outputs, Predictions predictions, IReadOnlyList<string>? names)
    {
        string output = predictor.Network.Activations[predictor.Network.L] == Activation.Softmax ? "p" : "a";
        var header = (names is null ? [] : new[] { "image" })
            .Concat(classColumn is null ? outputs : outputs.Select(c => $"{output}({c})").Prepend(classColumn));
        writer.WriteLine(string.Join(",", header.Select(Quote)));
        var line = new StringBuilder();
        var classNames = classColumn is null ? [] : outputs.Select(Quote).ToArray();
        for (int row = 0; row < predictions.Count; row++)
        {
            line.Clear();
            if (names is not null) line.Append(Quote(names[row])).Append(',');
            if (predictions.ClassIndices is int[] classes) line.Append(classNames[classes[row]]).Append(',');
            var values = predictions.Row(row);
            for (int k = 0; k < values.Length; k++)
            {
                if (k > 0) line.Append(',');
                line.Append(values[k].ToString("G7", CultureInfo.InvariantCulture));
            }
            writer.WriteLine(line);
        }
    }

    /// <summary>RFC 4180: a cell with a separator, quote or line break is quoted, its quotes doubled.</summary>
    internal static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") < 0 ? cell : $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    /// <summary>Writes through <paramref name="write"/> to standard output, or to <paramref name="path"/> (--output) as <see cref="WriteAtomically"/> does.</summary>
    internal static void WriteOutput(string? path, Action<TextWriter> write)
    {
        if (path is null) write(System.Console.Out);
        else WriteAtomically(path, write);
    }

    /// <summary>Writes through <paramref name="write"/> to <paramref name="path"/>, UTF-8 with \n line ends, by way of <see cref="AtomicFile"/>: a failure leaves what was there.</summary>
    private static void WriteAtomically(string path, Action<TextWriter> write)
    {
        try
        {
            AtomicFile.Write(path, stream =>
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
                write(writer);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--output: {path}: cannot write: {e.Message} (nothing was changed)", ExitCodes.OutputFailed);
        }
    }
}
