using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Nabla.Serialization;

/// <summary>
/// One named tensor of a safetensors file: its dtype (<c>"F32"</c> or <c>"F64"</c>), shape, and raw little-endian bytes.
/// </summary>
public sealed class SafeTensorEntry
{
    /// <summary>The tensor's name, unique in its file (e.g. <c>layers.1.weight</c>).</summary>
    public string Name { get; }
    /// <summary><c>"F32"</c> or <c>"F64"</c>.</summary>
    public string DType { get; }
    /// <summary>The dimensions, outermost first (empty for a scalar).</summary>
    public long[] Shape { get; }
    /// <summary>The elements, row-major, little-endian.</summary>
    public byte[] Data { get; }

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount => Data.Length / SafeTensors.DTypeSize(DType);

    /// <exception cref="NablaException">Unknown dtype, negative dimension, reserved name, or data of the wrong length.</exception>
    public SafeTensorEntry(string name, string dtype, long[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dtype);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (name.Length == 0 || name == SafeTensors.MetadataKey)
            throw new NablaException($"SafeTensorEntry: '{name}' cannot name a tensor.");
        int size = SafeTensors.DTypeSize(dtype);
        if (size == 0)
            throw new NablaException($"SafeTensorEntry '{name}': unsupported dtype '{dtype}' (Nabla handles F32 and F64).");
        long? bytes = SafeTensors.ByteLength(shape, size);
        if (bytes != data.Length)
            throw new NablaException(
                $"SafeTensorEntry '{name}': shape [{string.Join(", ", shape)}] of {dtype} needs {bytes?.ToString() ?? "an impossible number of"} bytes, not {data.Length}.");
        Name = name;
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    /// <summary>An F32 tensor holding a copy of <paramref name="values"/>.</summary>
    public static SafeTensorEntry FromSingles(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var data = new byte[values.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(values).CopyTo(data);
        else
            for (int i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * sizeof(float)), values[i]);
        return new SafeTensorEntry(name, "F32", shape, data);
    }

    /// <summary>An F64 tensor holding a copy of <paramref name="values"/>.</summary>
    public static SafeTensorEntry FromDoubles(string name, long[] shape, ReadOnlySpan<double> values)
    {
        var data = new byte[values.Length * sizeof(double)];
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(values).CopyTo(data);
        else
            for (int i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(i * sizeof(double)), values[i]);
        return new SafeTensorEntry(name, "F64", shape, data);
    }

    /// <summary>The elements as floats (F64 values are rounded to the nearest float).</summary>
    public float[] ToSingles()
    {
        if (DType == "F64")
        {
            var doubles = ToDoubles();
            var result = new float[doubles.Length];
            for (int i = 0; i < doubles.Length; i++)
                result[i] = (float)doubles[i];
            return result;
        }
        var values = new float[Data.Length / sizeof(float)];
        if (BitConverter.IsLittleEndian)
            Data.AsSpan().CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else
            for (int i = 0; i < values.Length; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(Data.AsSpan(i * sizeof(float)));
        return values;
    }

    /// <summary>The elements as doubles (F32 values convert exactly).</summary>
    public double[] ToDoubles()
    {
        if (DType == "F32")
        {
            var singles = ToSingles();
            var result = new double[singles.Length];
            for (int i = 0; i < singles.Length; i++)
                result[i] = singles[i];
            return result;
        }
        var values = new double[Data.Length / sizeof(double)];
        if (BitConverter.IsLittleEndian)
            Data.AsSpan().CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else
            for (int i = 0; i < values.Length; i++)
                values[i] = BinaryPrimitives.ReadDoubleLittleEndian(Data.AsSpan(i * sizeof(double)));
        return values;
    }
}

/// <summary>
/// Limits on what a safetensors file may make the reader allocate: the header's length, checked before it is read, and
/// the number of tensors and metadata entries it describes, checked as it is parsed. Each entry costs about a kilobyte
/// of objects for a few dozen bytes of JSON: without the count limits a 95 MB header of 1.6 million empty tensors made
/// the reader allocate 1.9 GB.
/// </summary>
public sealed record SafeTensorsLimits
{
    /// <summary>Default limits: a JSON header of at most 100 MB, 10,000 tensors, 10,000 metadata entries.</summary>
    public static SafeTensorsLimits Default { get; } = new();

    /// <summary>Largest JSON header accepted, in bytes (the reference implementation uses 100 MB too).</summary>
    public long MaxHeaderBytes
    {
        get;
        init => field = ReaderLimit.ArrayLength(value, "SafeTensorsLimits.MaxHeaderBytes");
    } = 100_000_000;

    /// <summary>
    /// Most tensors a file may describe. Default 10,000: a Nabla network has two per layer and its optimiser state two
    /// or four more per layer; a PyTorch checkpoint shard holds hundreds to a few thousand.
    /// </summary>
    public int MaxTensors
    {
        get;
        init => field = ReaderLimit.Positive(value, "SafeTensorsLimits.MaxTensors");
    } = 10_000;

    /// <summary>Most <c>__metadata__</c> entries a file may hold. Default 10,000 (Nabla writes a handful).</summary>
    public int MaxMetadataEntries
    {
        get;
        init => field = ReaderLimit.Positive(value, "SafeTensorsLimits.MaxMetadataEntries");
    } = 10_000;
}

/// <summary>The contents of a safetensors file: tensors in data order, and the string metadata.</summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, SafeTensorEntry> _byName;

    /// <summary>The file this was read from, for error messages.</summary>
    public string Path { get; }
    /// <summary>The tensors, in the order of their bytes in the file.</summary>
    public IReadOnlyList<SafeTensorEntry> Entries { get; }
    /// <summary>The <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    internal SafeTensorsFile(string path, List<SafeTensorEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        Entries = entries;
        Metadata = metadata;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>True when the file has a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The tensor called <paramref name="name"/>, or false when the file has none.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SafeTensorEntry? entry) =>
        _byName.TryGetValue(name, out entry);

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="InvalidFileException">The file has no such tensor.</exception>
    public SafeTensorEntry this[string name] =>
        _byName.TryGetValue(name, out var entry)
            ? entry
            : throw new InvalidFileException(Path, -1, $"has no tensor named '{name}'");
}

/// <summary>
/// Reader and writer of the safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// describing each tensor (dtype, shape, data_offsets relative to the data section) plus optional string
/// <c>__metadata__</c>, then the tensors' raw little-endian bytes.
/// </summary>
public static class SafeTensors
{
    internal const string MetadataKey = "__metadata__";

    /// <summary>Bytes per element of a supported dtype, or 0 when Nabla does not handle it.</summary>
    internal static int DTypeSize(string dtype) => dtype switch { "F32" => 4, "F64" => 8, _ => 0 };

    /// <summary>Product of the shape times the element size, or null when a dimension is negative or it overflows.</summary>
    internal static long? ByteLength(ReadOnlySpan<long> shape, int elementSize)
    {
        long bytes = elementSize;
        foreach (long dim in shape)
        {
            if (dim < 0)
                return null;
            try { bytes = checked(bytes * dim); }
            catch (OverflowException) { return null; }
        }
        return bytes;
    }

    /// <summary>
    /// Writes the tensors, in the given order and contiguous, with the header padded by spaces to a multiple of 8.
    /// The file is written under a temporary name in the same directory, flushed to disk, then moved over
    /// <paramref name="path"/>, so an existing file is replaced whole or not at all.
    /// </summary>
    /// <exception cref="NablaException">The directory does not exist, names repeat, or writing fails.</exception>
    public static void Write(string path, IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(entries);
        var (fullPath, temp) = CheckTarget(path);
        try
        {
            // Everything that can fail, enumerating the caller's entries included, happens while only the temp
            // file exists, so there is a single cleanup path and the old file is never touched.
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var list = new List<SafeTensorEntry>();
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var entry in entries)
                {
                    ArgumentNullException.ThrowIfNull(entry, nameof(entries));
                    if (!names.Add(entry.Name))
                        throw new NablaException($"{path}: cannot write two tensors named '{entry.Name}'");
                    list.Add(entry);
                }

                byte[] header = BuildHeader(list, metadata);
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var entry in list)
                    stream.Write(entry.Data);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(temp);
            if (e is IOException or UnauthorizedAccessException)
                throw new NablaException($"{path}: cannot write: {e.Message}", e);
            throw;
        }
    }

    /// <summary>
    /// Checks that <see cref="Write"/> can put a file at <paramref name="path"/>, before the work that produces it:
    /// the folder exists and takes a new file, and the path is not a folder nor a device or pipe. Leaves nothing behind.
    /// </summary>
    /// <exception cref="NablaException">The file could not be written there; the message says why.</exception>
    public static void CheckWritable(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (_, temp) = CheckTarget(path);
        try
        {
            new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None).Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NablaException($"{path}: cannot write: {e.Message}", e);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>The full path and a fresh temporary name beside it, after checking what rename would replace.</summary>
    private static (string FullPath, string Temp) CheckTarget(string path)
    {
        string fullPath;
        try { fullPath = System.IO.Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new NablaException($"'{path}': cannot write: not a valid file path: {e.Message}", e);
        }
        string directory = System.IO.Path.GetDirectoryName(fullPath)
            ?? throw new NablaException($"{path}: cannot write: that is a root folder, not a file");
        if (!Directory.Exists(directory))
            throw new NablaException($"{path}: cannot write: directory {directory} does not exist");
        if (Directory.Exists(fullPath))
            throw new NablaException($"{path}: cannot write: it is a folder; give a file name such as model.safetensors");
        // Renaming the finished file over a device would replace the device itself (as root, /dev/null would become a
        // plain file), so only regular files are replaced.
        if (UnixFileType.IsSpecial(fullPath, followLinks: false))
            throw new NablaException($"{path}: cannot write: it is a device, pipe or socket, not a regular file");
        return (fullPath, System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp"));
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the original error matters more */ }
    }

    private static byte[] BuildHeader(List<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        // Relaxed escaping keeps non-ASCII names readable; the output is still valid JSON.
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                    w.WriteString(key, value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var entry in entries)
            {
                w.WriteStartObject(entry.Name);
                w.WriteString("dtype", entry.DType);
                w.WriteStartArray("shape");
                foreach (long dim in entry.Shape)
                    w.WriteNumberValue(dim);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + entry.Data.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += entry.Data.Length;
            }
            w.WriteEndObject();
        }
        // Padding to 8 bytes keeps the data section aligned for readers that map the file.
        int padded = (int)((json.Length + 7) / 8 * 8);
        var header = new byte[padded];
        json.GetBuffer().AsSpan(0, (int)json.Length).CopyTo(header);
        header.AsSpan((int)json.Length).Fill((byte)' ');
        return header;
    }

    /// <summary>
    /// Reads a safetensors file, checking the whole header (sizes, JSON, dtypes, shapes, offsets) before any tensor
    /// data is allocated.
    /// </summary>
    /// <exception cref="InvalidFileException">The bytes are not a valid safetensors file; path and offset say where.</exception>
    /// <exception cref="NablaException">The file is missing or unreadable.</exception>
    public static SafeTensorsFile Read(string path, SafeTensorsLimits? limits = null) => Read(path, limits, "safetensors file");

    /// <summary>As <see cref="Read(string, SafeTensorsLimits?)"/>; <paramref name="what"/> names the file in errors ("safetensors model file").</summary>
    internal static SafeTensorsFile Read(string path, SafeTensorsLimits? limits, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        limits ??= SafeTensorsLimits.Default;
        UnixFileType.CheckReadable(path, "safetensors");
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new NablaException($"{path}: cannot open the safetensors file: {e.Message}", e);
        }

        using (file)
        {
            try
            {
                return Read(path, file, limits, what);
            }
            catch (EndOfStreamException)
            {
                // The sizes were checked against the file length; this means the file shrank while being read.
                throw new InvalidFileException(path, file.Position, "the file ended early (was it changed while being read?)");
            }
            catch (IOException e)
            {
                throw new NablaException($"{path}: error while reading: {e.Message}", e);
            }
        }
    }

    private static SafeTensorsFile Read(string path, FileStream file, SafeTensorsLimits limits, string what)
    {
        long fileLength = file.Length;
        // A safetensors file opens with its header length and then the header's '{'; anything else is another kind of
        // file, which its first bytes usually name (gzip, ONNX, text …): say that, not what its bytes give as a length.
        Span<byte> head = stackalloc byte[FileSignature.Length];
        head = head[..file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)];
        file.Position = 0;
        bool looksLikeSafeTensors = head.Length > 8 && head[8] == (byte)'{';
        if (fileLength < 8)
            throw NotSafeTensors(path, head, what, $"the file is {fileLength} bytes, too short for the 8-byte header length of a safetensors file");

        Span<byte> lengthBytes = stackalloc byte[8];
        file.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)limits.MaxHeaderBytes)
            throw looksLikeSafeTensors
                ? new InvalidFileException(path, 0, $"the header length is {headerLength:N0} bytes, more than the limit of {limits.MaxHeaderBytes:N0}")
                : NotSafeTensors(path, head, what, $"its first 8 bytes, read as the header length, give {headerLength:N0} bytes, more than the limit of {limits.MaxHeaderBytes:N0}");
        if (headerLength > (ulong)(fileLength - 8))
            throw looksLikeSafeTensors
                ? new InvalidFileException(path, 0, $"the header length is {headerLength:N0} bytes but only {fileLength - 8:N0} bytes follow")
                : NotSafeTensors(path, head, what, $"its first 8 bytes, read as the header length, give {headerLength:N0} bytes but only {fileLength - 8:N0} bytes follow");
        if (!looksLikeSafeTensors && headerLength > 0 && FileSignature.Describe(head) is not null)
            throw NotSafeTensors(path, head, what, "");

        var header = new byte[headerLength];
        file.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        var (specs, metadata) = ParseHeader(path, header, limits);
        CheckLayout(path, specs, dataStart, dataLength);

        // Only now, with every size known to fit inside the file, is tensor memory allocated.
        var entries = new List<SafeTensorEntry>(specs.Count);
        foreach (var spec in specs)
        {
            var data = GC.AllocateUninitializedArray<byte>((int)(spec.End - spec.Begin));
            file.Position = dataStart + spec.Begin;
            file.ReadExactly(data);
            entries.Add(new SafeTensorEntry(spec.Name, spec.DType, spec.Shape, data));
        }
        return new SafeTensorsFile(path, entries, metadata);
    }

    /// <summary>"not a safetensors model file: it looks like a gzip-compressed file (1f 8b 08 …)", or the detail when the bytes name nothing known.</summary>
    private static InvalidFileException NotSafeTensors(string path, ReadOnlySpan<byte> head, string what, string detail) =>
        new(path, 0, FileSignature.Describe(head) is string kind
            ? $"not a {what}: it looks like {kind} (first bytes {FileSignature.Hex(head)})"
            : $"not a {what}: {detail}");

    private sealed record TensorSpec(string Name, string DType, long[] Shape, long Begin, long End, long HeaderOffset);

    /// <summary>Checks sizes and offsets, and sorts <paramref name="specs"/> into data order.</summary>
    private static void CheckLayout(string path, List<TensorSpec> specs, long dataStart, long dataLength)
    {
        foreach (var s in specs)
        {
            int size = DTypeSize(s.DType);
            if (size == 0)
                throw new InvalidFileException(path, s.HeaderOffset,
                    $"tensor '{s.Name}' has unsupported dtype '{s.DType}' (Nabla reads F32 and F64)");
            if (s.Begin > s.End)
                throw new InvalidFileException(path, s.HeaderOffset,
                    $"tensor '{s.Name}' has data_offsets [{s.Begin}, {s.End}] that end before they begin");
            if (s.End > dataLength)
                throw new InvalidFileException(path, s.HeaderOffset,
                    $"tensor '{s.Name}' has data_offsets [{s.Begin}, {s.End}] beyond the {dataLength:N0}-byte data section");
            long? bytes = ByteLength(s.Shape, size);
            if (bytes != s.End - s.Begin)
                throw new InvalidFileException(path, s.HeaderOffset,
                    $"tensor '{s.Name}' of shape [{string.Join(", ", s.Shape)}] and dtype {s.DType} needs " +
                    $"{bytes?.ToString("N0") ?? "an overflowing number of"} bytes but its data_offsets span {s.End - s.Begin:N0}");
            if (s.End - s.Begin > Array.MaxLength)
                throw new InvalidFileException(path, s.HeaderOffset,
                    $"tensor '{s.Name}' is {s.End - s.Begin:N0} bytes, too large for one array");
        }

        // As in the reference implementation, the tensors must tile the data section exactly: no overlap, no gap,
        // nothing left over. Overlap would alias tensors; gaps or leftovers usually mean a damaged file.
        specs.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var s in specs)
        {
            if (s.Begin < expected)
                throw new InvalidFileException(path, dataStart + s.Begin,
                    $"tensor '{s.Name}' (data_offsets [{s.Begin}, {s.End}]) overlaps the tensor before it, which ends at {expected}");
            if (s.Begin > expected)
                throw new InvalidFileException(path, dataStart + expected,
                    $"{s.Begin - expected:N0} bytes of the data section before tensor '{s.Name}' belong to no tensor");
            expected = s.End;
        }
        if (expected != dataLength)
            throw new InvalidFileException(path, dataStart + expected,
                $"{dataLength - expected:N0} bytes after the last tensor belong to no tensor");
    }

    private static (List<TensorSpec> Specs, Dictionary<string, string> Metadata) ParseHeader(string path, byte[] header, SafeTensorsLimits limits)
    {
        var specs = new List<TensorSpec>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8 });
        try
        {
            Expect(ref reader, JsonTokenType.StartObject, "the header must be a JSON object");
            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                long keyOffset = 8 + reader.TokenStartIndex;
                string key = reader.GetString()!;
                if (!seen.Add(key))
                    throw Bad(keyOffset, $"the header names '{key}' twice");
                if (key.Length == 0)
                    throw Bad(keyOffset, "a tensor has an empty name");
                if (key == MetadataKey)
                    ReadMetadata(ref reader, metadata);
                else if (specs.Count == limits.MaxTensors)
                    throw Bad(keyOffset, $"the header describes more than {limits.MaxTensors:N0} tensors, the limit");
                else
                    specs.Add(ReadTensor(ref reader, key, keyOffset));
            }
            // Only the space padding may follow the object; the reader rejects anything else.
            if (reader.Read())
                throw Bad(8 + reader.TokenStartIndex, "unexpected data after the header's JSON object");
        }
        catch (JsonException e)
        {
            throw Bad(8 + OffsetOf(header, e.LineNumber, e.BytePositionInLine), $"the header is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // GetString on a string that is not valid UTF-8 ends up here.
            throw Bad(8 + reader.TokenStartIndex, $"the header is not valid UTF-8 JSON: {e.Message}");
        }
        return (specs, metadata);

        InvalidFileException Bad(long offset, string problem) => new(path, offset, problem);

        void ReadMetadata(ref Utf8JsonReader r, Dictionary<string, string> into)
        {
            Expect(ref r, JsonTokenType.StartObject, $"'{MetadataKey}' must be an object of strings");
            while (Next(ref r) != JsonTokenType.EndObject)
            {
                long nameOffset = 8 + r.TokenStartIndex;
                if (into.Count == limits.MaxMetadataEntries)
                    throw Bad(nameOffset, $"'{MetadataKey}' holds more than {limits.MaxMetadataEntries:N0} entries, the limit");
                string name = r.GetString()!;
                if (Next(ref r) != JsonTokenType.String)
                    throw Bad(8 + r.TokenStartIndex, $"metadata value '{name}' is not a string");
                if (!into.TryAdd(name, r.GetString()!))
                    throw Bad(8 + r.TokenStartIndex, $"metadata key '{name}' appears twice");
            }
        }

        TensorSpec ReadTensor(ref Utf8JsonReader r, string name, long offset)
        {
            Expect(ref r, JsonTokenType.StartObject, $"tensor '{name}' must be an object with dtype, shape and data_offsets");
            string? dtype = null;
            long[]? shape = null, offsets = null;
            while (Next(ref r) != JsonTokenType.EndObject)
            {
                string field = r.GetString()!;
                switch (field)
                {
                    case "dtype":
                        if (Next(ref r) != JsonTokenType.String)
                            throw Bad(8 + r.TokenStartIndex, $"tensor '{name}': dtype must be a string");
                        dtype = r.GetString()!;
                        break;
                    case "shape":
                        shape = ReadIntegers(ref r, name, field);
                        break;
                    case "data_offsets":
                        offsets = ReadIntegers(ref r, name, field);
                        if (offsets.Length != 2)
                            throw Bad(8 + r.TokenStartIndex, $"tensor '{name}': data_offsets must hold two numbers, not {offsets.Length}");
                        break;
                    default:
                        // Unknown fields are ignored, as the reference implementation does.
                        Next(ref r);
                        r.Skip();
                        break;
                }
            }
            if (dtype is null || shape is null || offsets is null)
                throw Bad(offset, $"tensor '{name}' lacks {(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}");
            return new TensorSpec(name, dtype, shape, offsets[0], offsets[1], offset);
        }

        long[] ReadIntegers(ref Utf8JsonReader r, string name, string field)
        {
            Expect(ref r, JsonTokenType.StartArray, $"tensor '{name}': {field} must be an array of integers");
            var values = new List<long>();
            while (Next(ref r) != JsonTokenType.EndArray)
            {
                if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out long v) || v < 0)
                    throw Bad(8 + r.TokenStartIndex, $"tensor '{name}': {field} must hold non-negative integers");
                values.Add(v);
            }
            return values.ToArray();
        }

        void Expect(ref Utf8JsonReader r, JsonTokenType type, string problem)
        {
            if (Next(ref r) != type)
                throw Bad(8 + r.TokenStartIndex, problem);
        }
    }

    /// <summary>Reads the next token; running out of header is a JSON error.</summary>
    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            throw new JsonException("the header ends before the JSON object does", null, null, reader.BytesConsumed);
        return reader.TokenType;
    }

    /// <summary>Turns JsonException's line and column into an offset in the header.</summary>
    private static long OffsetOf(byte[] header, long? line, long? column)
    {
        if (line is null)
            return column ?? 0;
        long offset = 0;
        for (long l = 0; l < line && offset < header.Length; offset++)
            if (header[offset] == (byte)'\n')
                l++;
        return Math.Min(header.Length, offset + (column ?? 0));
    }
}
