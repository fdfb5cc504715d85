using System.Buffers.Binary;
using System.IO.Compression;

namespace Nabla.Tests;

/// <summary>A fresh temporary directory, deleted with its contents on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("nabla-tests-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, byte[] bytes)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public string WriteGzip(string name, byte[] bytes) => Write(name, TestFiles.Gzip(bytes));

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

internal static class TestFiles
{
    /// <summary>The repository's data/fashion-mnist-sample, found by walking up from the test binaries.</summary>
    public static string SampleDirectory { get; } = FindSample();

    public static string Sample(string name) => System.IO.Path.Combine(SampleDirectory, name);

    private static string FindSample()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Nabla.slnx")))
                return System.IO.Path.Combine(dir.FullName, "data", "fashion-mnist-sample");
        }
        throw new InvalidOperationException("cannot find the repository root (Nabla.slnx) above " + AppContext.BaseDirectory);
    }

    public static byte[] Gunzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var result = new MemoryStream();
        gz.CopyTo(result);
        return result.ToArray();
    }

    public static byte[] Gzip(byte[] bytes, CompressionLevel level = CompressionLevel.Fastest)
    {
        using var result = new MemoryStream();
        using (var gz = new GZipStream(result, level))
            gz.Write(bytes);
        return result.ToArray();
    }

    /// <summary>An IDX header: 0, 0, type, dimension count, then big-endian dimensions.</summary>
    public static byte[] IdxHeader(byte type, params int[] dims)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = type;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return header;
    }

    /// <summary>A valid unsigned-byte IDX file with the given dimensions and body.</summary>
    public static byte[] Idx(int[] dims, byte[] body) => [.. IdxHeader(0x08, dims), .. body];

    /// <summary>Bytes allocated on this thread while <paramref name="action"/> runs.</summary>
    public static long AllocatedDuring(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>
    /// The fewest bytes <paramref name="action"/> allocated on this thread in <paramref name="rounds"/> runs: what its steady
    /// state allocates. A path that allocates every time shows it in every round; the runtime's one-off work does not (a long
    /// loop still in unoptimised code is recompiled on the thread that runs it, on-stack replacement, and that allocates).
    /// </summary>
    public static long SteadyAllocation(Action action, int rounds = 3)
    {
        long fewest = long.MaxValue;
        for (int r = 0; r < rounds && fewest > 0; r++) fewest = Math.Min(fewest, AllocatedDuring(action));
        return fewest;
    }
}
