namespace Nabla.Tests.Serialization;

public class ProtobufWriterTests
{
    [Fact]
    public void Varints_use_seven_bits_per_byte_least_significant_first()
    {
        // The protobuf documentation's example: field 1 = 150 is 08 96 01.
        Assert.Equal([0x08, 0x96, 0x01], new ProtobufWriter().Int(1, 150).ToArray());
        Assert.Equal([0x08, 0x00], new ProtobufWriter().Int(1, 0).ToArray());
    }

    [Fact]
    public void A_negative_int64_takes_ten_bytes()
    {
        byte[] bytes = new ProtobufWriter().Int(3, -1).ToArray();
        Assert.Equal(11, bytes.Length);
        Assert.Equal(0x18, bytes[0]);
        Assert.Equal(0x01, bytes[^1]);
        Assert.All(bytes[1..^1], b => Assert.Equal(0xFF, b));
    }

    [Fact]
    public void Strings_and_nested_messages_are_length_delimited()
    {
        // The documentation's example: field 2 = "testing" is 12 07 74 65 73 74 69 6e 67.
        Assert.Equal([0x12, 0x07, .. "testing"u8.ToArray()], new ProtobufWriter().String(2, "testing").ToArray());
        // Field 3 holding a message whose field 1 = 150: 1a 03 08 96 01.
        Assert.Equal([0x1a, 0x03, 0x08, 0x96, 0x01], new ProtobufWriter().Message(3, m => m.Int(1, 150)).ToArray());
    }

    [Fact]
    public void Floats_are_four_little_endian_bytes_after_a_wire_type_5_key()
    {
        Assert.Equal([0x15, 0x00, 0x00, 0x80, 0x3f], new ProtobufWriter().Float(2, 1.0f).ToArray());
    }

    [Fact]
    public void Field_number_zero_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtobufWriter().Int(0, 1));
    }
}
