using Nabla;
using Nabla.Data;
using Nabla.Serialization;
using SharpFuzz;

// Fuzz targets for the readers of files from strangers. Each input is written to a scratch file and read back;
// InvalidFileException and NablaException are the readers' documented answer to bad bytes, anything else escapes
// and SharpFuzz reports it to AFL++ as a crash. Run through fuzz/run.sh, which caps the GC heap so that a header
// that talks the reader into a huge allocation shows up as an OutOfMemoryException.
//
//   idx    the IDX reader: byte 0 chooses labels (even) or images (odd); the rest is the file, raw or gzip
//   model  SafeTensors.Read, then ModelFile.Load as float and as double
//   csv    TableReader on the bytes as a .csv file (record length capped at 64 KB, 1,000 columns), then, when it reads,
//          the preprocessing of its last column as the target, and a predictor over it: the path `nabla train --data` takes
//   emit-seeds REPO DIR   writes the seed corpus into DIR/idx (the bundled sample, cut to a few small items) and
//                         DIR/model (small model files written by ModelFile.Save); fuzz/corpus holds its output

if (args.Length == 3 && args[0] == "emit-seeds")
{
    Seeds.WriteIdx(Path.Combine(args[1], "data", "fashion-mnist-sample"), Path.Combine(args[2], "idx"));
    Seeds.WriteModels(Path.Combine(args[2], "model"));
    Seeds.WriteCsv(Path.Combine(args[2], "csv"));
    return 0;
}
if (args.Length != 1 || args[0] is not ("idx" or "model" or "csv"))
{
    Console.Error.WriteLine("usage: Nabla.Fuzz idx|model|csv  (run by fuzz/run.sh under afl-fuzz)  |  Nabla.Fuzz emit-seeds REPO DIR");
    return 2;
}

Targets.Scratch = Path.Combine(Path.GetTempPath(), $"nabla-fuzz-{Environment.ProcessId}.bin");
bool replay = Environment.GetEnvironmentVariable("__AFL_SHM_ID") is null;
Action<byte[]> target = args[0] switch { "idx" => Targets.Idx, "model" => Targets.Model, _ => Targets.Csv };
if (args[0] == "csv") Targets.Scratch = Path.ChangeExtension(Targets.Scratch, ".csv");
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    byte[] input = buffer.ToArray();
    try
    {
        target(input);
        if (replay) Console.Error.WriteLine("accepted");
    }
    catch (NablaException e)
    {
        // Expected: the reader rejected the bytes with a clear message (shown when replaying by hand).
        if (replay) Console.Error.WriteLine($"rejected: {e.Message}");
    }
});
return 0;

static class Targets
{
    /// <summary>The file each input is written to: the readers take paths.</summary>
    public static string Scratch { get; set; } = "";

    public static void Idx(byte[] input)
    {
        if (input.Length == 0) return;
        File.WriteAllBytes(Scratch, input.AsSpan(1).ToArray());
        if ((input[0] & 1) == 0)
            Nabla.Data.Idx.ReadLabels(Scratch);
        else
            Nabla.Data.Idx.ReadImages(Scratch);
    }

    public static void Csv(byte[] input)
    {
        File.WriteAllBytes(Scratch, input);
        // Made here, not in a static field: instrumented code that runs before Fuzzer.Run starts writes to a coverage map
        // that does not exist yet (an access violation in Targets' static constructor).
        var table = TableReader.Read(Scratch, new TableReadOptions { MaxRecordLength = 1 << 16, MaxColumns = 1000 });
        var rows = TablePreprocessing.Rows(table, new TableSettings { Targets = [table.Columns[^1].Name], Missing = MissingValues.Mean });
        var parts = rows.Split([0.5, 0.5], seed: 1);
        if (parts[0].Length == 0) return;
        var preprocessing = TablePreprocessing.Fit(rows, parts[0]);
        var back = TablePreprocessing.FromJson(preprocessing.ToJson(), Scratch);
        var data = back.ToDataset(table, rows.Indices);
        var predictor = new Predictor(new Network<float>([back.InputSize, back.OutputSize], seed: 1), back);
        if (predictor.Predict(table).Count != table.RowCount || data.Count != rows.Indices.Length)
            throw new InvalidOperationException("the predictor or the dataset lost rows");
    }

    public static void Model(byte[] input)
    {
        File.WriteAllBytes(Scratch, input);
        SafeTensors.Read(Scratch);
        ModelFile.Load<float>(Scratch);
        ModelFile.Load<double>(Scratch);
    }
}

static class Seeds
{
    /// <summary>Valid IDX files cut from the bundled sample, raw and gzip, each behind the target's selector byte.</summary>
    public static void WriteIdx(string sample, string directory)
    {
        Directory.CreateDirectory(directory);
        byte[] labels = Gunzip(Path.Combine(sample, "train-labels-idx1-ubyte.gz"));
        byte[] images = Gunzip(Path.Combine(sample, "t10k-images-idx3-ubyte.gz"));
        byte[] labels8 = [.. Header(1, 8), .. labels.AsSpan(8, 8)];
        Write(directory, "labels-8.idx", 0, labels8);
        Write(directory, "labels-8.idx.gz", 0, Gzip(labels8));
        byte[] images6 = Crop(images, count: 2, size: 6);
        Write(directory, "images-2x6x6.idx", 1, images6);
        Write(directory, "images-2x6x6.idx.gz", 1, Gzip(images6));
        Write(directory, "images-1x28x28.idx", 1, Crop(images, count: 1, size: 28));
    }

    /// <summary>The centre size×size pixels of the first <paramref name="count"/> 28×28 images, as an IDX file.</summary>
    private static byte[] Crop(byte[] idx28, int count, int size)
    {
        var result = new List<byte>(Header(3, count, size, size));
        int margin = (28 - size) / 2;
        for (int k = 0; k < count; k++)
            for (int y = 0; y < size; y++)
                result.AddRange(idx28.AsSpan(16 + k * 784 + (y + margin) * 28 + margin, size).ToArray());
        return [.. result];
    }

    private static byte[] Header(byte dimensions, params int[] dims)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = 0x08;
        header[3] = dimensions;
        for (int i = 0; i < dims.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return header;
    }

    private static void Write(string directory, string name, byte selector, byte[] file) =>
        File.WriteAllBytes(Path.Combine(directory, name), [selector, .. file]);

    private static byte[] Gunzip(string path)
    {
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        using var result = new MemoryStream();
        gz.CopyTo(result);
        return result.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var result = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(result, System.IO.Compression.CompressionLevel.Optimal))
            gz.Write(bytes);
        return result.ToArray();
    }

    /// <summary>Small tables: quoting, CRLF, a BOM, text and numeric columns, empty cells, a TSV-like one, a ragged one.</summary>
    public static void WriteCsv(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "numbers.csv"), "a,b,y\n1,2.5,0\n3,-4e-2,1\n5,6,0\n7,8,1\n");
        File.WriteAllText(Path.Combine(directory, "quoted.csv"), "\uFEFFname,\"x, y\",class\r\n\"a \"\"b\"\"\",1,p\r\n\"two\nlines\",,q\r\nc,3,p\r\nd,4,q\r\n");
        File.WriteAllText(Path.Combine(directory, "text.csv"), "colour,size,price\nred,1,10.5\nblue,,12\nred,3,9\ngreen,2,11\n");
        File.WriteAllText(Path.Combine(directory, "ragged.csv"), "a,b\n1,2\n3\n");
    }

    /// <summary>Model files written by ModelFile.Save: float and double, with and without hidden layers and cost.</summary>
    public static void WriteModels(string directory)
    {
        Directory.CreateDirectory(directory);
        Save(new Network<float>([2, 3, 2], seed: 1), Cost.Quadratic, Path.Combine(directory, "model-f32-2-3-2.safetensors"));
        Save(new Network<double>([3, 2], seed: 2), Cost.CrossEntropy, Path.Combine(directory, "model-f64-3-2.safetensors"));
        Save(new Network<float>([4, 3, 3, 2], seed: 3), null, Path.Combine(directory, "model-f32-4-3-3-2.safetensors"));
    }

    private static void Save<T>(Network<T> network, Cost? cost, string path) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        ModelFile.Save(network, cost, path);
}
