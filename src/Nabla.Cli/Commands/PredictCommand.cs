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
        var model = new Option<string>("--model") { Description = "A model file written by `nabla train --data TABLE --out FILE`", Required = true };
        var input = new Option<string>("--input") { Description = "The rows to predict: a .csv, .tsv or .parquet file with the model's input columns (others are ignored)", Required = true };
        var output = new Option<string?>("--output") { Description = "Write the predictions here as CSV (written to a temporary file, then renamed). Default: standard output" };
        var command = new Command("predict", "Predict the class (with probabilities) or the values of every row of a table with a trained model")
        {
            model, input, output, TableTraining.MaxRecordLength,
        };
        command.SetAction(parse =>
        {
            string modelPath = parse.GetValue(model)!, inputPath = parse.GetValue(input)!;
            string? outputPath = parse.GetValue(output);
            if (outputPath is not null) TrainCommand.CheckWritable(outputPath);
            var predictor = LoadPredictor(modelPath);
            if (!TableReader.IsTable(inputPath)) throw new CliException($"--input: {inputPath} is not a .csv, .tsv or .parquet file", ExitCodes.InvalidArguments);
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
            if (outputPath is null) WriteCsv(System.Console.Out, predictor, predictions);
            else WriteAtomically(outputPath, writer => WriteCsv(writer, predictor, predictions));
            double seconds = clock.Elapsed.TotalSeconds;
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds; // less disturbed by a busy machine than the wall clock
            if (parse.GetValue(CommandRunner.Json))
                CommandRunner.WriteJson(new { command = "predict", model = modelPath, input = inputPath, output = outputPath, rows = predictions.Count, read_seconds = readSeconds, predict_seconds = predictSeconds, total_seconds = seconds, cpu_seconds = cpu, rows_per_minute = predictions.Count / seconds * 60, rows_per_cpu_minute = predictions.Count / cpu * 60 });
            else if (outputPath is not null)
                System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Predicted {predictions.Count:N0} rows of {inputPath} into {outputPath} in {seconds:F2} s (reading {readSeconds:F2} s, network {predictSeconds:F2} s; {predictions.Count / seconds * 60:N0} rows/min; CPU time {cpu:F2} s)"));
            return ExitCodes.Success;
        });
        return command;
    }

    internal static Predictor LoadPredictor(string path)
    {
        try { return Predictor.Load(path); }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException($"--model: {e.Message}", ExitCodes.InvalidInput); }
    }

    /// <summary>The header: the predicted class and one probability per class, or the predicted value of each target.</summary>
    private static void WriteCsv(TextWriter writer, Predictor predictor, Predictions predictions)
    {
        var pre = predictor.Preprocessing;
        var header = pre.IsClassification
            ? new[] { pre.Targets[0] }.Concat(pre.Classes.Select(c => $"p({c})"))
            : pre.Targets;
        writer.WriteLine(string.Join(",", header.Select(Quote)));
        var line = new StringBuilder();
        var classNames = pre.IsClassification ? pre.Classes.Select(Quote).ToArray() : [];
        for (int row = 0; row < predictions.Count; row++)
        {
            line.Clear();
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

    /// <summary>Writes through <paramref name="write"/> to a temporary file beside <paramref name="path"/>, flushes, then renames it over: a failure leaves what was there.</summary>
    internal static void WriteAtomically(string path, Action<TextWriter> write)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16))
            {
                writer.NewLine = "\n";
                write(writer);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw new CliException($"--output: {path}: cannot write: {e.Message} (nothing was changed)", ExitCodes.OutputFailed);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }
}
