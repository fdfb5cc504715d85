namespace Nabla.Tests.Serialization;

/// <summary>What a file's first bytes say it is.</summary>
public class FileSignatureTests
{
    [Theory]
    [InlineData(new byte[] { 0x1f, 0x8b, 0x08, 0x00 }, "a gzip-compressed file")]
    [InlineData(new byte[] { 0x80, 0x02, 0x8a, 0x0a }, "a Python pickle")]
    [InlineData(new byte[] { 0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00 }, "a NumPy .npy array")]
    [InlineData(new byte[] { 0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a }, "an HDF5 file")]
    [InlineData(new byte[] { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a }, "a PNG image")]
    [InlineData(new byte[] { 0x00, 0x00, 0x08, 0x03, 0x00, 0x00, 0x27, 0x10 }, "an IDX data file (the MNIST format: images)")]
    [InlineData(new byte[] { 0x08, 0x07, 0x12, 0x05 }, "an ONNX model (protobuf)")]
    [InlineData(new byte[] { 0x50, 0x4b, 0x03, 0x04, 0x14, 0x00 }, "a zip archive")]
    [InlineData(new byte[] { 0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d }, "JSON text ({\"a\":1})")]
    [InlineData(new byte[] { 0x68, 0x69, 0x0a, 0x74, 0x68, 0x65, 0x72, 0x65 }, "text (\"hi\")")]
    public void Names_the_kind_of_file(byte[] head, string expected)
    {
        Assert.StartsWith(expected, FileSignature.Describe(head));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xf3, 0x01, 0x02, 0x03 })]
    [InlineData(new byte[] { 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 })] // a safetensors header length
    public void Names_nothing_when_nothing_matches(byte[] head)
    {
        Assert.Null(FileSignature.Describe(head));
    }

    [Fact]
    public void A_text_window_that_cuts_a_character_is_still_text()
    {
        byte[] head = [.. "Gewichte für ö"u8];
        Assert.Equal("text (\"Gewichte für ö\")", FileSignature.Describe(head));
        Assert.Equal("text (\"Gewichte für \")", FileSignature.Describe(head[..^1]));
    }
}
