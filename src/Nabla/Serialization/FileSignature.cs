using System.Buffers.Binary;
using System.Text;

namespace Nabla.Serialization;

/// <summary>
/// What the first bytes of a file say it is (gzip, zip or a PyTorch checkpoint, ONNX, IDX, text …), so that a reader
/// handed the wrong file can say what it got instead of reading its first bytes as a size.
/// </summary>
internal static class FileSignature
{
    /// <summary>How many leading bytes <see cref="Describe"/> looks at.</summary>
    public const int Length = 64;

    /// <summary>"a gzip-compressed file", "text ("…")", …; null when the bytes match nothing known.</summary>
    public static string? Describe(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b) return "a gzip-compressed file";
        if (head.StartsWith("PK\u0003\u0004"u8)) return Zip(head);
        if (head.Length >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5) return "a Python pickle (an older PyTorch torch.save file?)";
        if (head.StartsWith(NumPy)) return "a NumPy .npy array";
        if (head.StartsWith(Hdf5)) return "an HDF5 file (a Keras .h5 model?)";
        if (head.StartsWith(Png)) return "a PNG image";
        // IDX: two zero bytes, the element type (0x08 unsigned byte … 0x0E double), the number of dimensions.
        if (head.Length >= 4 && head[0] == 0 && head[1] == 0 && head[2] is 0x08 or 0x09 or 0x0B or 0x0C or 0x0D or 0x0E && head[3] is >= 1 and <= 4)
            return $"an IDX data file (the MNIST format: {(head[3] == 1 ? "labels" : head[3] == 3 ? "images" : "an array")}), not a model";
        // ONNX: a protobuf ModelProto starts with field 1 (ir_version, a small varint), then another of its fields.
        if (head.Length >= 3 && head[0] == 0x08 && head[1] is >= 1 and <= 15 && head[2] is 0x12 or 0x1a or 0x22 or 0x28 or 0x32 or 0x3a or 0x42)
            return "an ONNX model (protobuf)";
        return Text(head);
    }

    // Signatures that start with a byte above 0x7f (a u8 string literal would encode it as two bytes).
    private static ReadOnlySpan<byte> NumPy => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private static ReadOnlySpan<byte> Hdf5 => [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];
    private static ReadOnlySpan<byte> Png => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a];

    /// <summary>A zip archive; torch.save's is one whose entries sit in a folder beside data.pkl.</summary>
    private static string Zip(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 30)
        {
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(head[26..]);
            string name = Encoding.UTF8.GetString(head.Slice(30, Math.Min(nameLength, head.Length - 30)));
            if (name.Contains("data.pkl", StringComparison.Ordinal) || name.EndsWith("/version", StringComparison.Ordinal) || name.Contains("/data/", StringComparison.Ordinal))
                return "a PyTorch checkpoint (torch.save's zip archive; save the state dict with safetensors.torch.save_file instead)";
        }
        return "a zip archive";
    }

    /// <summary>Printable UTF-8: text, with its first line quoted; null for anything else.</summary>
    private static string? Text(ReadOnlySpan<byte> head)
    {
        if (head.Length == 0) return null;
        // The window may cut a multi-byte character at its end: up to three bytes may be left off.
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        string? text = null;
        for (int cut = 0; cut <= Math.Min(3, head.Length - 1) && text is null; cut++)
        {
            try { text = utf8.GetString(head[..^cut]); }
            catch (ArgumentException) { }
        }
        if (text is null || text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))) return null;
        if (text.StartsWith("version https://git-lfs", StringComparison.Ordinal)) return "a Git LFS pointer (the file itself was not fetched: git lfs pull)";
        string line = text.Split('\n')[0].TrimEnd('\r');
        string quoted = line.Length > 40 ? line[..40] + "…" : line;
        return text.TrimStart().StartsWith('{') || text.TrimStart().StartsWith('[') ? $"JSON text ({quoted})" : $"text (\"{quoted}\")";
    }

    /// <summary>"1f 8b 08 00 …": the first bytes in hex.</summary>
    public static string Hex(ReadOnlySpan<byte> head, int count = 8) =>
        string.Join(" ", head[..Math.Min(count, head.Length)].ToArray().Select(b => b.ToString("x2"))) + (head.Length > count ? " …" : "");
}
