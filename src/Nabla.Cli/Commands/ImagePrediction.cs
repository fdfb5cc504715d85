using System.Diagnostics;
using System.Globalization;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla predict --model M FILES…` for a model trained on IDX images: IDX image files and pictures, each made into the
/// model's pixels, predicted together through the matrix path; one CSV line per image, in order, with its class and p(class) (a(class) when the output layer is not softmax).
/// </summary>
internal static class ImagePrediction
{
    public static int Run(Predictor predictor, string modelPath, IReadOnlyList<string> paths, string? outputPath, IReadOnlyList<string> classes,
        string invert, IdxLimits? limits, bool json)
    {
        var images = predictor.Images ?? throw new CliException(
            $"--model: {modelPath} was trained on a table (input columns {PredictCommand.ListNames(predictor.Features.Select(f => f.Name))}), not on images; give it rows with --input rows.csv",
            ExitCodes.InvalidInput);
        var clock = Stopwatch.StartNew();
        var pixels = new List<byte[]>();
        var names = new List<string>();
        int pictures = 0, inverted = 0;
        foreach (string path in paths)
        {
            string? kind = PictureFile.Kind(Head(path));
            if (kind is not null)
            {
                var picture = PictureFile.Read(path, kind, images.Rows, images.Columns, invert);
                pixels.Add(picture.Pixels);
                names.Add(path);
                pictures++;
                if (picture.Inverted) inverted++;
                continue;
            }
            var file = ReadIdx(path, limits);
            if (file.Rows != images.Rows || file.Columns != images.Columns)
                throw new CliException($"{path}: the images are {file.Rows}×{file.Columns} pixels; the model {modelPath} takes {images.Rows}×{images.Columns}", ExitCodes.InvalidInput);
            pixels.Add(file.Pixels);
            for (int i = 0; i < file.Count; i++) names.Add(string.Create(CultureInfo.InvariantCulture, $"{path}:{i}"));
        }
        var all = new IdxImages(pixels.Count == 1 ? pixels[0] : Concatenated(pixels), names.Count, images.Rows, images.Columns);
        double readSeconds = clock.Elapsed.TotalSeconds;
        var predictions = predictor.Predict(all);
        double predictSeconds = clock.Elapsed.TotalSeconds - readSeconds;

        // One IDX file is like a table: its images in order, nothing to name them by; else each line says which image it is.
        var named = pictures == 0 && paths.Count == 1 ? null : names;
        PredictCommand.WriteOutput(outputPath, writer => PredictCommand.WriteCsv(writer, predictor, "class", classes, predictions, named));
        if (pictures > 0)
            System.Console.Error.WriteLine($"nabla: {Words.Count(pictures, "picture")} grey-scaled and scaled to fit {images.Rows}×{images.Columns}" +
                                           (inverted > 0 ? $"; {inverted} inverted (light background: the training images are light on black; --invert no keeps them)" : ""));
        double seconds = clock.Elapsed.TotalSeconds;
        if (json)
            CommandRunner.WriteJson(new { command = "predict", model = modelPath, inputs = paths, output = outputPath, images = predictions.Count, pictures, inverted, rows = images.Rows, columns = images.Columns, classes, read_seconds = readSeconds, predict_seconds = predictSeconds, total_seconds = seconds });
        else if (outputPath is not null)
            System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Predicted {Words.Count(predictions.Count, "image")} into {outputPath} in {seconds:F2} s (reading {readSeconds:F2} s, network {predictSeconds:F2} s)"));
        return ExitCodes.Success;
    }

    private static byte[] Concatenated(List<byte[]> parts)
    {
        var all = GC.AllocateUninitializedArray<byte>(parts.Sum(p => p.Length));
        int offset = 0;
        foreach (var part in parts) { part.CopyTo(all, offset); offset += part.Length; }
        return all;
    }

    /// <summary>The first bytes of a file, to tell a picture from an IDX file; a missing file is an input error naming it.</summary>
    private static byte[] Head(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            var head = new byte[16];
            return head[..file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{path}: cannot read: {e.Message}", ExitCodes.InvalidInput);
        }
    }

    /// <summary>An IDX image file; anything else is said to be neither that nor a picture nor a table.</summary>
    private static IdxImages ReadIdx(string path, IdxLimits? limits)
    {
        try { return Idx.ReadImages(path, limits); }
        catch (InvalidFileException e)
        {
            throw new CliException($"{e.Message} (nabla predict takes a table: .csv, .tsv, .parquet; an IDX image file; or pictures: PNG, JPEG, GIF, BMP, WebP)", ExitCodes.InvalidInput);
        }
        catch (NablaException e) { throw new CliException(e.Message, ExitCodes.InvalidInput); }
    }
}
