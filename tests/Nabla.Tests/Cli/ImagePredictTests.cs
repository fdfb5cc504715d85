using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Nabla.Cli;
using SkiaSharp;
using static Nabla.Tests.Cli.CliProcess;

namespace Nabla.Tests.Cli;

/// <summary>
/// `nabla predict --model M FILES…` for a model trained on IDX images, through the built CLI: an IDX image file (batched,
/// classes named) and pictures (PNG, JPEG, decoded by SkiaSharp, grey-scaled, inverted when light, scaled to fit), and
/// the bad input of each kind.
/// </summary>
public class ImagePredictTests : IClassFixture<ImagePredictTests.TrainedModel>
{
    /// <summary>One model trained on the bundled Fashion-MNIST sample, shared by the tests (training is the slow part).</summary>
    public sealed class TrainedModel : IDisposable
    {
        internal TempDirectory Dir { get; } = new();
        public string Path => Dir.File("fashion.safetensors");

        public TrainedModel()
        {
            // The practitioner's recipe, whose softmax outputs are probabilities.
            var train = Run("train", "--data", TestFiles.SampleDirectory, "--train-size", "4000", "--epochs", "3", "--layers", "784,30,10", "--activation", "relu,softmax",
                "--cost", "log-likelihood", "--init", "scaled-normal", "--optimizer", "adam", "--eta", "0.001", "--batch", "32", "--out", Path);
            Assert.True(train.ExitCode == 0, train.Stderr);
        }

        public void Dispose() => Dir.Dispose();
    }

    private readonly string _model;
    public ImagePredictTests(TrainedModel model) => _model = model.Path;

    private static string TestImages => TestFiles.Sample("t10k-images-idx3-ubyte.gz");

    private static IdxImages SampleImages() => Idx.ReadImages(TestImages);

    /// <summary>The CSV lines of a successful prediction.</summary>
    private static string[] Lines(Result result)
    {
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}: {result.Stderr}");
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Exit 3, one "nabla: error:" line holding every fragment, and nothing written to <paramref name="dir"/> beyond the inputs.</summary>
    private static void AssertBadInput(Result result, TempDirectory dir, int filesBefore, params string[] fragments)
    {
        Assert.True(result.ExitCode == ExitCodes.InvalidInput, $"exit code {result.ExitCode}; stderr: {result.Stderr}");
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("nabla: error: ", line);
        foreach (var fragment in fragments) Assert.Contains(fragment, line);
        Assert.Equal(filesBefore, Directory.GetFiles(dir.Path).Length);
    }

    /// <summary>Image <paramref name="index"/> of the sample as a picture, <paramref name="scale"/> times larger, dark on light when <paramref name="invert"/>.</summary>
    private static byte[] Picture(IdxImages images, int index, int scale, bool invert, SKEncodedImageFormat format)
    {
        int side = images.Rows * scale;
        using var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                byte p = images.Pixels[index * images.Rows * images.Columns + y / scale * images.Columns + x / scale];
                if (invert) p = (byte)(255 - p);
                bitmap.SetPixel(x, y, new SKColor(p, p, p));
            }
        using var data = bitmap.Encode(format, 95);
        return data.ToArray();
    }

    [Fact]
    public void An_idx_image_file_is_predicted_in_order_with_its_classes_named_and_scored_as_evaluate_scores_it()
    {
        var lines = Lines(Run("predict", "--model", _model, TestImages));
        var images = SampleImages();
        Assert.Equal(images.Count + 1, lines.Length);
        Assert.Equal("class," + string.Join(",", ImageInputs.FashionMnistClasses.Select(c => $"p({c})")), lines[0]);

        // Each line: the class with the largest probability, the probabilities summing to 1; their accuracy is evaluate's.
        var labels = Idx.ReadLabels(TestFiles.Sample("t10k-labels-idx1-ubyte.gz"));
        int correct = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var cells = lines[i + 1].Split(',');
            var p = cells[1..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(1.0, p.Sum(), 4);
            Assert.Equal(ImageInputs.FashionMnistClasses[Array.IndexOf(p, p.Max())], cells[0]);
            if (cells[0] == ImageInputs.FashionMnistClasses[labels[i]]) correct++;
        }
        var evaluate = Run("evaluate", "--model", _model, "--data", TestFiles.SampleDirectory, "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        using var json = JsonDocument.Parse(evaluate.Stdout);
        Assert.Equal(json.RootElement.GetProperty("test_correct").GetInt32(), correct);
        Assert.Contains("\"class\":\"Ankle boot\"", evaluate.Stdout); // evaluate names the classes too

        // --output: the same lines, written whole.
        using var dir = new TempDirectory();
        var written = Run("predict", "--model", _model, "--input", TestImages, "--output", dir.File("out.csv"));
        Assert.True(written.ExitCode == 0, written.Stderr);
        Assert.Equal(lines, File.ReadAllLines(dir.File("out.csv")));
        Assert.Contains($"Predicted {images.Count:N0} images into", written.Stdout);
    }

    [Fact]
    public void A_picture_is_predicted_as_the_image_it_shows_grey_scaled_inverted_and_scaled_to_fit()
    {
        using var dir = new TempDirectory();
        var images = SampleImages();
        var idx = Lines(Run("predict", "--model", _model, TestImages));

        // The image itself as a 28×28 PNG: the very same inputs, so the very same line.
        string exact = dir.Write("exact.png", Picture(images, 0, 1, invert: false, SKEncodedImageFormat.Png));
        var same = Lines(Run("predict", "--model", _model, exact));
        Assert.Equal("image,class,p(T-shirt/top)", same[0][.."image,class,p(T-shirt/top)".Length]);
        Assert.Equal($"{exact},{idx[1]}", same[1]);

        // Dark on light, 8 times larger, as JPEG: inverted (its border is light) and scaled back, the same class, nearly the same numbers.
        string[] large = [.. Enumerable.Range(1, 3).Select(i => dir.Write($"large{i}.jpg", Picture(images, i, 8, invert: true, SKEncodedImageFormat.Jpeg)))];
        var result = Run(["predict", "--model", _model, .. large]);
        var lines = Lines(result);
        Assert.Contains("nabla: 3 pictures grey-scaled and scaled to fit 28×28; 3 inverted", result.Stderr);
        for (int i = 1; i <= 3; i++)
        {
            var cells = lines[i].Split(',');
            var expected = idx[i + 1].Split(',');
            Assert.Equal(large[i - 1], cells[0]);
            Assert.Equal(expected[0], cells[1]);
            for (int k = 1; k < expected.Length; k++)
                Assert.Equal(double.Parse(expected[k], CultureInfo.InvariantCulture), double.Parse(cells[k + 1], CultureInfo.InvariantCulture), 0.05);
        }
        // --invert no takes it as it is: other inputs, other numbers.
        Assert.NotEqual(lines[1], Lines(Run("predict", "--model", _model, "--invert", "no", large[0]))[1]);

        // --classes names them anew; a wrong count is refused.
        var named = Lines(Run("predict", "--model", _model, "--classes", "a,b,c,d,e,f,g,h,i,j", exact));
        Assert.StartsWith("image,class,p(a),p(b),", named[0]);
        var refused = Run("predict", "--model", _model, "--classes", "a,b", exact);
        Assert.Equal(ExitCodes.InvalidArguments, refused.ExitCode);
        Assert.Contains("--classes: the model has 10 classes", refused.Stderr);
    }

    [Fact]
    public void Bad_idx_files_are_one_line_errors_naming_the_file_with_nothing_written()
    {
        using var dir = new TempDirectory();
        string output = dir.File("out.csv");
        // A header claiming ten 28×28 images, with two of them.
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 10);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 28);
        string truncated = dir.Write("cut-idx3-ubyte", [.. header, .. new byte[2 * 784]]);
        AssertBadInput(Run("predict", "--model", _model, truncated, "--output", output), dir, 1, "cut-idx3-ubyte");

        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 8);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 8);
        string small = dir.Write("small-idx3-ubyte", [.. header, .. new byte[2 * 64]]);
        AssertBadInput(Run("predict", "--model", _model, small, "--output", output), dir, 2, "small-idx3-ubyte: the images are 8×8 pixels; the model", "takes 28×28");

        AssertBadInput(Run("predict", "--model", _model, TestFiles.Sample("t10k-labels-idx1-ubyte.gz"), "--output", output), dir, 2, "that is an IDX label file");

        // Nothing to predict, or a table for an image model: argument errors that say what to give.
        var nothing = Run("predict", "--model", _model);
        Assert.Equal(ExitCodes.InvalidArguments, nothing.ExitCode);
        Assert.Contains("--input: give what to predict: a table (--input rows.csv), or images", nothing.Stderr);
        var table = Run("predict", "--model", _model, "--input", Data.TableReaderTests.RepositoryTable("iris.csv"));
        Assert.Equal(ExitCodes.InvalidArguments, table.ExitCode);
        Assert.Contains("was trained on 28×28 images; give it images", table.Stderr);
        string text = dir.Write("notes.txt", Encoding.UTF8.GetBytes("hello\n"));
        AssertBadInput(Run("predict", "--model", _model, text, "--output", output), dir, 3, "notes.txt", "nabla predict takes a table: .csv, .tsv, .parquet; an IDX image file; or pictures");
    }

    [Fact]
    public void Bad_pictures_are_one_line_errors_naming_the_file_with_nothing_written()
    {
        using var dir = new TempDirectory();
        string output = dir.File("out.csv");
        var png = Picture(SampleImages(), 0, 4, invert: false, SKEncodedImageFormat.Png);
        string truncated = dir.Write("cut.png", png[..(png.Length / 2)]);
        AssertBadInput(Run("predict", "--model", _model, truncated, "--output", output), dir, 1, "cut.png: the PNG image cannot be decoded: the file ends before the image does");

        string garbage = dir.Write("noise.jpg", [0xFF, 0xD8, 0xFF, .. Enumerable.Repeat((byte)0x41, 100)]);
        AssertBadInput(Run("predict", "--model", _model, garbage, "--output", output), dir, 2, "noise.jpg: ", "JPEG");

        // A header that claims 100,000 × 100,000 pixels is refused before a byte is decoded.
        string huge = dir.Write("huge.png", PngHeader(100_000, 100_000));
        AssertBadInput(Run("predict", "--model", _model, huge, "--output", output), dir, 3, "huge.png: the PNG image claims 100,000×100,000 pixels; at most");

        // A model trained on a table takes rows, not pictures.
        string tableModel = dir.File("iris.safetensors");
        Assert.Equal(0, Run("train", "--data", Data.TableReaderTests.RepositoryTable("iris.csv"), "--target", "species", "--epochs", "1", "--out", tableModel).ExitCode);
        string picture = dir.Write("ok.png", png);
        AssertBadInput(Run("predict", "--model", tableModel, picture, "--output", output), dir, 5, "--model: ", "was trained on a table (input columns 'sepal length (cm)'", "give it rows with --input rows.csv");
    }

    [Fact]
    public void Outputs_of_a_layer_other_than_softmax_are_named_a_not_p_for_they_need_not_sum_to_one()
    {
        using var dir = new TempDirectory();
        string model = dir.File("sigmoid.safetensors");
        Assert.Equal(0, Run("train", "--data", Data.TableReaderTests.RepositoryTable("iris.csv"), "--target", "species", "--epochs", "1",
            "--activation", "relu,sigmoid", "--cost", "cross-entropy", "--out", model).ExitCode);
        var lines = Lines(Run("predict", "--model", model, "--input", Data.TableReaderTests.RepositoryTable("iris.csv")));
        Assert.Equal("species,a(setosa),a(versicolor),a(virginica)", lines[0]);
    }

    /// <summary>
    /// The start of an 8-bit grey PNG of <paramref name="width"/> × <paramref name="height"/>: signature, IHDR, and an IDAT
    /// chunk with one row (a decoder reads the header up to there); nothing more.
    /// </summary>
    private static byte[] PngHeader(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth; colour type 0 (grey), compression, filter and interlace 0
        using var row = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(row, System.IO.Compression.CompressionLevel.Optimal)) zlib.Write(new byte[width + 1]);
        return [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. Chunk("IHDR", ihdr), .. Chunk("IDAT", row.ToArray())];
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        var chunk = new byte[4 + typed.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        typed.CopyTo(chunk, 4);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(4 + typed.Length), Crc32(typed));
        return chunk;
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
