using System.Buffers.Binary;
using System.Text;

namespace Nabla;

/// <summary>
/// The few pieces of the protocol-buffers wire format that an ONNX file needs: varints, 64-bit and
/// 32-bit little-endian values, and length-delimited fields (strings, bytes, nested messages, packed
/// numbers). A field is a key, (field number &lt;&lt; 3) | wire type, then its value. Nested messages
/// are written into their own writer, then copied in with their length.
/// </summary>
public sealed class ProtobufWriter
{
    private const int Varint = 0, LengthDelimited = 2, Fixed32 = 5;
    private readonly MemoryStream _buffer = new();

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => _buffer.ToArray();

    /// <summary>An integer field (int32, int64, enum, bool) as a varint; negative values take ten bytes, as protobuf's int64.</summary>
    public ProtobufWriter Int(int field, long value)
    {
        Key(field, Varint);
        WriteVarint(unchecked((ulong)value));
        return this;
    }

    /// <summary>A float field (wire type 5).</summary>
    public ProtobufWriter Float(int field, float value)
    {
        Key(field, Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    /// <summary>A string field, UTF-8.</summary>
    public ProtobufWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public ProtobufWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>A nested message field.</summary>
    public ProtobufWriter Message(int field, ProtobufWriter message) => Bytes(field, message.ToArray());

    /// <summary>A nested message field, built by <paramref name="build"/>.</summary>
    public ProtobufWriter Message(int field, Action<ProtobufWriter> build)
    {
        var message = new ProtobufWriter();
        build(message);
        return Message(field, message);
    }

    private void Key(int field, int wireType)
    {
        if (field < 1 || field > (1 << 29) - 1) throw new ArgumentOutOfRangeException(nameof(field), field, "protobuf field numbers run from 1 to 2^29 − 1");
        WriteVarint((ulong)((field << 3) | wireType));
    }

    /// <summary>Seven bits per byte, least significant first; the high bit says another byte follows.</summary>
    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }
}
