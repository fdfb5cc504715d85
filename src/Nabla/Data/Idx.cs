using System.Buffers.Binary;
using System.IO.Compression;

namespace Nabla.Data;

/// <summary>
/// Upper bounds on what an IDX header may claim. They are checked before anything is allocated, so a
/// damaged or hostile header cannot make the reader ask for gigabytes.
/// </summary>
public sealed record IdxLimits
{
    /// <summary>The limits used when none are given: 10 million items and 1 GiB of data per file.</summary>
    public static IdxLimits Default { get; } = new();

    /// <summary>Most items (labels or images) a file may claim. Default 10,000,000.</summary>
    public long MaxItems
    {
        get;
        init => field = ReaderLimit.Positive(value, "IdxLimits.MaxItems");
    } = 10_000_000;

    /// <summary>
    /// Most data bytes (items × rows × columns) a file may claim, decompressed: what reading it may allocate. Default
    /// 1 GiB, twice the largest file of the MNIST family (EMNIST ByClass: 697,932 images of 28×28, 547 MB); never more
    /// than <see cref="Array.MaxLength"/>, because the data is returned in one array. A small gzip file can honestly
    /// decompress to a thousand times its size, so this cap, not the file's length, bounds what it costs.
    /// </summary>
    public long MaxBytes
    {
        get;
        init => field = ReaderLimit.ArrayLength(value, "IdxLimits.MaxBytes");
    } = DefaultMaxBytes;

    /// <summary>The default of <see cref="MaxBytes"/>: 1 GiB.</summary>
    public const long DefaultMaxBytes = 1L << 30;
}

/// <summary>Images read from an IDX file: <see cref="Count"/> images of <see cref="Rows"/> × <see cref="Columns"/> bytes.</summary>
public sealed class IdxImages
{
    /// <summary>All pixels, image after image, each image row-major; length Count × Rows × Columns.</summary>
    public byte[] Pixels { get; }
    /// <summary>The number of images.</summary>
    public int Count { get; }
    /// <summary>The height of an image, in pixels.</summary>
    public int Rows { get; }
    /// <summary>The width of an image, in pixels.</summary>
    public int Columns { get; }

    /// <summary>Images over <paramref name="pixels"/> (used, not copied).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="pixels"/> is null.</exception>
    /// <exception cref="NablaException">The count is negative, a side is not positive, or the pixels are not count × rows × columns.</exception>
    public IdxImages(byte[] pixels, int count, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (count < 0 || rows <= 0 || columns <= 0 || (long)count * rows * columns != pixels.Length)
            throw new NablaException(
                $"IdxImages: {pixels.Length} pixels do not make {count} images of {rows}×{columns}.");
        Pixels = pixels;
        Count = count;
        Rows = rows;
        Columns = columns;
    }
}

/// <summary>
/// Reader of the IDX format that MNIST and Fashion-MNIST ship in: two zero bytes, a type byte (0x08, unsigned
/// byte), a dimension count, the dimensions as big-endian int32, then the data. Files may be raw or gzip; gzip is
/// recognised by its magic bytes, not by the file name.
/// </summary>
public static class Idx
{
    private const byte UnsignedByteType = 0x08;
    private const int GzipInitialChunk = 1 << 20;
    // Deflate's largest expansion: a 258-byte match coded in two bits (RFC 1951), so no gzip file decompresses to more
    // than 1032 times its length.
    private const long MaxDeflateRatio = 1032;

    /// <summary>Reads a label file (one dimension: the count). Every byte is one label.</summary>
    /// <exception cref="InvalidFileException">The bytes are not a valid IDX label file within <paramref name="limits"/>.</exception>
    /// <exception cref="NablaException">The file is missing or cannot be read.</exception>
    public static byte[] ReadLabels(string path, IdxLimits? limits = null)
    {
        return Read(path, dimensionCount: 1, "label", limits ?? IdxLimits.Default).Data;
    }

    /// <summary>Reads an image file (three dimensions: count, rows, columns).</summary>
    /// <exception cref="InvalidFileException">The bytes are not a valid IDX image file within <paramref name="limits"/>.</exception>
    /// <exception cref="NablaException">The file is missing or cannot be read.</exception>
    public static IdxImages ReadImages(string path, IdxLimits? limits = null) => ReadImages(path, limits, labels: null);

    /// <summary>
    /// Reads the image file of <paramref name="labels"/>, when given: its header must claim as many images as that label
    /// file holds, checked before the pixels are allocated.
    /// </summary>
    internal static IdxImages ReadImages(string path, IdxLimits? limits, (string Path, int Count)? labels)
    {
        var (dims, data) = Read(path, dimensionCount: 3, "image", limits ?? IdxLimits.Default, labels);
        return new IdxImages(data, dims[0], dims[1], dims[2]);
    }

    private static (int[] Dims, byte[] Data) Read(
        string path, int dimensionCount, string kind, IdxLimits limits, (string Path, int Count)? labels = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        Serialization.UnixFileType.CheckReadable(path, $"IDX {kind}");
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new NablaException($"{path}: cannot open the IDX {kind} file: {e.Message}", e);
        }

        using (file)
        {
            try
            {
                bool gzip = IsGzip(file);
                (int[] Dims, byte[] Data) result;
                using (Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file)
                    result = ReadBody(path, stream, file.Length, gzip, dimensionCount, kind, limits, labels);
                if (gzip)
                    CheckGzipTrailer(path, file, 4 + 4L * dimensionCount + result.Data.Length);
                return result;
            }
            catch (InvalidDataException e)
            {
                // GZipStream reports a damaged stream this way; the decompressed position is not known here.
                throw new InvalidFileException(path, -1, $"the gzip stream is corrupt: {e.Message}");
            }
            catch (IOException e)
            {
                throw new NablaException($"{path}: error while reading: {e.Message}", e);
            }
        }
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>
    /// GZipStream stops quietly when the stream ends before the gzip trailer, so a file cut short after its last data
    /// byte would pass. The trailer's last 4 bytes hold the decompressed length modulo 2^32 (RFC 1952); they must
    /// match. (A file of several concatenated gzip members would fail this check; IDX files are one member.)
    /// </summary>
    private static void CheckGzipTrailer(string path, FileStream file, long decompressedLength)
    {
        Span<byte> trailer = stackalloc byte[4];
        if (file.Length >= 18)
        {
            file.Position = file.Length - 4;
            file.ReadExactly(trailer);
        }
        uint claimed = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        if (file.Length < 18 || claimed != (uint)decompressedLength)
            throw new InvalidFileException(path, file.Length,
                $"the gzip stream is truncated or damaged: its trailer does not record the {decompressedLength:N0} bytes it decompresses to");
    }

    // fileLength: the file's length on disk (compressed, for gzip); labels: the label file whose count the items must match.
    private static (int[] Dims, byte[] Data) ReadBody(string path, Stream stream, long fileLength, bool gzip,
        int dimensionCount, string kind, IdxLimits limits, (string Path, int Count)? labels)
    {
        int headerLength = 4 + 4 * dimensionCount;
        Span<byte> header = stackalloc byte[headerLength];
        long offset = 0; // position in the decompressed bytes, for error messages

        int got = ReadFully(path, stream, header[..4], ref offset);
        if (got < 4)
            throw new InvalidFileException(path, offset, $"truncated header: the file ends after {got} of the 4 magic bytes");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        uint expectedMagic = (UnsignedByteType << 8) | (uint)dimensionCount;
        if (magic != expectedMagic)
        {
            string hint = (magic >> 8) == UnsignedByteType && (magic & 0xff) is 1 or 3
                ? $" (that is an IDX {((magic & 0xff) == 1 ? "label" : "image")} file)"
                : "";
            throw new InvalidFileException(path, 0,
                $"expected an IDX {kind} file (magic 0x{expectedMagic:X8}) but found 0x{magic:X8}{hint}");
        }

        got = ReadFully(path, stream, header[4..], ref offset);
        if (got < headerLength - 4)
            throw new InvalidFileException(path, offset,
                $"truncated header: {dimensionCount} dimension(s) need {headerLength} header bytes but the file ends after {offset}");

        var dims = new int[dimensionCount];
        long dataLength = 1;
        for (int i = 0; i < dimensionCount; i++)
        {
            int dimOffset = 4 + 4 * i;
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header[dimOffset..]);
            if (dims[i] <= 0)
                throw new InvalidFileException(path, dimOffset, $"dimension {i} is {dims[i]}; it must be positive");
            if (i == 0 && dims[0] > limits.MaxItems)
                throw new InvalidFileException(path, 4,
                    $"the header claims {dims[0]:N0} {kind}s, more than the limit of {limits.MaxItems:N0}");
            // dataLength stays <= MaxBytes (< 2^31) before each step, so the product fits in a long.
            dataLength *= dims[i];
            if (dataLength > limits.MaxBytes)
                throw new InvalidFileException(path, dimOffset,
                    $"the header claims dimensions {string.Join(" × ", dims[..(i + 1)])}{(i + 1 < dimensionCount ? " × …" : "")}, " +
                    $"more than the limit of {limits.MaxBytes:N0} bytes");
        }
        if (labels is var (labelsPath, labelCount) && dims[0] != labelCount)
            throw new InvalidFileException(path, 4,
                $"the header claims {dims[0]:N0} {kind}s but the label file {labelsPath} holds {labelCount:N0} labels; the counts must agree");

        if (!gzip)
            return (dims, ReadRaw(path, stream, fileLength, headerLength, (int)dataLength));
        // A claim no gzip file of this length can honour is refused before anything is allocated.
        if (headerLength + dataLength > MaxDeflateRatio * fileLength)
            throw new InvalidFileException(path, 4,
                $"the header claims {dataLength:N0} data bytes, but a gzip file of {fileLength:N0} bytes decompresses to at most " +
                $"{MaxDeflateRatio * fileLength:N0} (deflate expands at most {MaxDeflateRatio}×): the header is wrong or the file truncated");
        return (dims, ReadGzip(path, stream, headerLength, (int)dataLength));
    }

    private static byte[] ReadRaw(string path, Stream stream, long fileLength, int headerLength, int dataLength)
    {
        // The file length is known, so a lying header is caught before the array is allocated.
        long expected = headerLength + (long)dataLength;
        if (fileLength < expected)
            throw new InvalidFileException(path, fileLength,
                $"truncated: the header claims {dataLength:N0} data bytes (file length {expected:N0}) but the file ends after {fileLength:N0}");
        if (fileLength > expected)
            throw new InvalidFileException(path, expected,
                $"{fileLength - expected:N0} unexpected trailing byte(s) after the {dataLength:N0} data bytes the header claims");

        var data = GC.AllocateUninitializedArray<byte>(dataLength);
        long offset = headerLength;
        int got = ReadFully(path, stream, data, ref offset);
        if (got < dataLength) // the file shrank while we read it
            throw new InvalidFileException(path, offset, $"truncated: the file ends after {offset:N0} bytes");
        return data;
    }

    private static byte[] ReadGzip(string path, Stream stream, int headerLength, int dataLength)
    {
        // The decompressed size is unknown, so the buffer only grows as data actually arrives: a tiny file with a
        // header that claims gigabytes fails after allocating about what it really holds.
        var data = new byte[Math.Min(dataLength, GzipInitialChunk)];
        int filled = 0;
        long offset = headerLength;
        while (true)
        {
            int got = ReadFully(path, stream, data.AsSpan(filled), ref offset);
            filled += got;
            if (filled < data.Length)
                throw new InvalidFileException(path, offset,
                    $"truncated: the header claims {dataLength:N0} data bytes but the decompressed data ends after {filled:N0}");
            if (filled == dataLength)
                break;
            Array.Resize(ref data, (int)Math.Min(dataLength, 2L * data.Length));
        }

        Span<byte> probe = stackalloc byte[1];
        if (ReadFully(path, stream, probe, ref offset) > 0)
            throw new InvalidFileException(path, headerLength + (long)dataLength,
                $"unexpected trailing bytes after the {dataLength:N0} data bytes the header claims");
        return data;
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    private static int ReadFully(string path, Stream stream, Span<byte> buffer, ref long offset)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = stream.Read(buffer[total..]);
                if (n == 0)
                    break;
                total += n;
                offset += n;
            }
        }
        catch (InvalidDataException e)
        {
            // offset already counts every byte that decompressed cleanly, so it is where the damage begins.
            throw new InvalidFileException(path, offset, $"the gzip stream is corrupt: {e.Message}");
        }
        return total;
    }
}
