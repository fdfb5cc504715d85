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
//   emit-seeds REPO DIR   writes the seed corpus into DIR/idx (the bundled sample, cut to a few small items) and
//                         DIR/model (small model files written by ModelFile.Save); fuzz/corpus holds its output

if (args.Length == 3 && args[0] == "emit-seeds")
{
    Seeds.WriteIdx(Path.Combine(args[1], "data", "fashion-mnist-sample"), Path.Combine(args[2], "idx"));
    Seeds.WriteModels(Path.Combine(args[2], "model"));
    return 0;
}
if (args.Length != 1 || args[0] is not ("idx" or "model"))
{
    Console.Error.WriteLine("usage: Nabla.Fuzz idx|model  (run by fuzz/run.sh under afl-fuzz)  |  Nabla.Fuzz emit-seeds REPO DIR");
    return 2;
}

Targets.Scratch = Path.Combine(Path.GetTempPath(), $"nabla-fuzz-{Environment.ProcessId}.bin");
bool replay = Environment.GetEnvironmentVariable("__AFL_SHM_ID") is null;
Action<byte[]> target = args[0] == "idx" ? Targets.Idx : Targets.Model;
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
