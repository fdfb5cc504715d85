using System.Buffers.Binary;
using System.Text;
using Nabla.Serialization;

namespace Nabla.Tests.Serialization;

public class SafeTensorsTests
{
    /// <summary>A safetensors file built by hand from the format's definition, as Python's library lays it out.</summary>
    private static byte[] File(string json, params byte[][] data)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        return [.. length, .. header, .. data.SelectMany(d => d)];
    }

    private static string Padded(string json) => json + new string(' ', (8 - json.Length % 8) % 8);

    // 1f, 2f, 3f, 4f as little-endian IEEE 754 singles.
    private static readonly byte[] OneToFour = [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40];

    private const string ReferenceJson =
        """{"__metadata__":{"format":"pt"},"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}""";

    private static readonly byte[] Reference = File(Padded(ReferenceJson), OneToFour);

    [Fact]
    public void Reads_a_file_laid_out_by_the_reference_convention()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("ref.safetensors", Reference);

        var file = SafeTensors.Read(path);

        var weight = Assert.Single(file.Entries);
        Assert.Same(weight, file["weight"]);
        Assert.Equal("F32", weight.DType);
        Assert.Equal([2L, 2L], weight.Shape);
        Assert.Equal([1f, 2f, 3f, 4f], weight.ToSingles());
        Assert.Equal([1d, 2d, 3d, 4d], weight.ToDoubles());
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void Writes_the_reference_layout_byte_for_byte()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.safetensors");

        SafeTensors.Write(path, [SafeTensorEntry.FromSingles("weight", [2, 2], [1f, 2f, 3f, 4f])],
            new Dictionary<string, string> { ["format"] = "pt" });

        Assert.Equal(Reference, System.IO.File.ReadAllBytes(path));
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(Reference) % 8);
    }

    [Fact]
    public void Round_trips_F32_and_F64_tensors_with_metadata()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        float[] weights = [1.5f, -2.25f, float.Epsilon, float.MaxValue, -0f, 3e-7f];
        double[] biases = [Math.PI, -1e300, 0.1];
        var metadata = new Dictionary<string, string> { ["layers"] = "784,30,10", ["note"] = "ünïcode \"quoted\"" };

        SafeTensors.Write(path,
            [
                SafeTensorEntry.FromSingles("layers.0.weight", [2, 3], weights),
                SafeTensorEntry.FromDoubles("layers.0.bias", [3], biases),
                SafeTensorEntry.FromSingles("scalar", [], [42f]),
                SafeTensorEntry.FromSingles("empty", [0, 5], []),
            ],
            metadata);
        var file = SafeTensors.Read(path);

        Assert.Equal(["layers.0.weight", "layers.0.bias", "scalar", "empty"], file.Entries.Select(e => e.Name));
        Assert.Equal(weights, file["layers.0.weight"].ToSingles());
        Assert.Equal([2L, 3L], file["layers.0.weight"].Shape);
        Assert.Equal("F64", file["layers.0.bias"].DType);
        Assert.Equal(biases, file["layers.0.bias"].ToDoubles());
        Assert.Equal([(float)Math.PI, float.NegativeInfinity, 0.1f], file["layers.0.bias"].ToSingles());
        Assert.Equal([42f], file["scalar"].ToSingles());
        Assert.Empty(file["scalar"].Shape);
        Assert.Empty(file["empty"].ToSingles());
        Assert.Equal(metadata, file.Metadata);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(System.IO.File.ReadAllBytes(path)) % 8);
    }

    [Fact]
    public void Reports_a_missing_tensor_by_name_and_file()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("ref.safetensors", Reference);

        var file = SafeTensors.Read(path);

        Assert.False(file.Contains("bias"));
        var e = Assert.Throws<InvalidFileException>(() => file["bias"]);
        Assert.Contains(path, e.Message);
        Assert.Contains("'bias'", e.Message);
    }

    private static InvalidFileException ReadBad(byte[] bytes, string expectedProblem, SafeTensorsLimits? limits = null)
    {
        using var dir = new TempDirectory();
        string path = dir.Write("bad.safetensors", bytes);
        var e = Assert.Throws<InvalidFileException>(() => SafeTensors.Read(path, limits));
        Assert.Contains(path, e.Message);
        Assert.Contains(expectedProblem, e.Message);
        return e;
    }

    [Fact]
    public void Rejects_a_file_shorter_than_its_header_length()
    {
        var e = ReadBad([1, 2, 3], "too short for the 8-byte header length");
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void Rejects_a_truncated_file()
    {
        ReadBad(Reference[..^3], "beyond the 13-byte data section");
        ReadBad(Reference[..40], "only 32 bytes follow");
    }

    [Fact]
    public void Rejects_a_huge_header_length_without_allocating()
    {
        byte[] bytes = [.. Reference];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 62);

        long allocated = TestFiles.AllocatedDuring(() => ReadBad(bytes, "more than the limit of 100,000,000"));

        Assert.True(allocated < 16L << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Honours_a_tighter_header_limit()
    {
        ReadBad(Reference, "more than the limit of 64", new SafeTensorsLimits { MaxHeaderBytes = 64 });
    }

    /// <summary>A header describing <paramref name="count"/> empty F32 tensors t0, t1, ... (each a few dozen bytes of JSON).</summary>
    private static string EmptyTensors(int count, string metadata = "") =>
        "{" + metadata + string.Join(",", Enumerable.Range(0, count).Select(i => $$"""
            "t{{i}}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}
            """)) + "}";

    [Fact]
    public void Rejects_more_tensors_than_the_limit_naming_the_first_one_over_it()
    {
        var limits = new SafeTensorsLimits { MaxTensors = 3 };
        string json = EmptyTensors(4);
        using var dir = new TempDirectory();
        Assert.Equal(3, SafeTensors.Read(dir.Write("three.safetensors", File(EmptyTensors(3))), limits).Entries.Count);

        var e = ReadBad(File(json), "the header describes more than 3 tensors, the limit", limits);

        Assert.Equal(8 + json.IndexOf("\"t3\"", StringComparison.Ordinal), e.Offset);
    }

    [Fact]
    public void The_default_tensor_limit_stops_a_header_of_empty_tensors_allocating_a_fraction_of_what_parsing_it_costs()
    {
        // 400,000 empty tensors: a 24 MB header, well within its 100 MB limit, whose parse costs objects many times its
        // JSON (measured by parsing all but the last); the 10,000-tensor limit stops the parse at the start.
        byte[] bytes = File(EmptyTensors(400_000));
        long parsed = TestFiles.AllocatedDuring(() => ReadBad(bytes, "more than 399,999 tensors", new SafeTensorsLimits { MaxTensors = 399_999 }));

        long allocated = TestFiles.AllocatedDuring(() => ReadBad(bytes, "the header describes more than 10,000 tensors, the limit"));

        Assert.True(parsed > 3L * bytes.Length, $"parsing {bytes.Length:N0} bytes allocated only {parsed:N0}");
        Assert.True(allocated < bytes.Length + (parsed - bytes.Length) / 10,
            $"allocated {allocated:N0} bytes for a {bytes.Length:N0}-byte file; parsing it to the end allocates {parsed:N0}");
    }

    [Fact]
    public void Rejects_more_metadata_entries_than_the_limit()
    {
        string metadata = """
            "__metadata__":{"a":"1","b":"2","c":"3"},
            """;
        var e = ReadBad(File(EmptyTensors(1, metadata)), "'__metadata__' holds more than 2 entries, the limit", new SafeTensorsLimits { MaxMetadataEntries = 2 });

        Assert.Equal(8 + metadata.IndexOf("\"c\"", StringComparison.Ordinal) + 1, e.Offset);
    }

    [Fact]
    public void Rejects_count_limits_that_make_no_sense()
    {
        Assert.Throws<NablaException>(() => new SafeTensorsLimits { MaxTensors = 0 });
        Assert.Throws<NablaException>(() => new SafeTensorsLimits { MaxMetadataEntries = -1 });
    }

    [Fact]
    public void Rejects_offsets_beyond_the_file()
    {
        var e = ReadBad(File("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,4000000000]}}""", OneToFour),
            "beyond the 16-byte data section");
        Assert.Equal(8 + 1, e.Offset); // the tensor's name in the header
    }

    [Fact]
    public void Rejects_a_shape_that_does_not_match_the_bytes()
    {
        ReadBad(File("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}""", OneToFour),
            "needs 24 bytes but its data_offsets span 16");
        ReadBad(File("""{"w":{"dtype":"F64","shape":[4],"data_offsets":[0,16]}}""", OneToFour),
            "needs 32 bytes");
    }

    [Fact]
    public void Rejects_a_shape_whose_size_overflows()
    {
        ReadBad(File("""{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}""", OneToFour),
            "an overflowing number of");
    }

    [Fact]
    public void Rejects_a_negative_dimension()
    {
        ReadBad(File("""{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}""", OneToFour),
            "shape must hold non-negative integers");
    }

    [Fact]
    public void Rejects_malformed_json_naming_the_offset()
    {
        string json = """{"w":{"dtype":"F32","shape":[4] "data_offsets":[0,16]}}""";
        var e = ReadBad(File(json, OneToFour), "not valid JSON");
        Assert.Equal(8 + json.IndexOf("\"data_offsets\"", StringComparison.Ordinal), e.Offset);
    }

    [Fact]
    public void Rejects_json_that_is_cut_short()
    {
        ReadBad(File("""{"w":{"dtype":"F32","shape":[4],"""), "not valid JSON");
    }

    [Fact]
    public void Rejects_an_unsupported_dtype()
    {
        ReadBad(File("""{"w":{"dtype":"F16","shape":[8],"data_offsets":[0,16]}}""", OneToFour),
            "unsupported dtype 'F16'");
    }

    [Fact]
    public void Rejects_overlapping_tensors()
    {
        ReadBad(File("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}""", OneToFour),
            "'b' (data_offsets [4, 16]) overlaps");
    }

    [Fact]
    public void Rejects_data_that_belongs_to_no_tensor()
    {
        ReadBad(File("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""", OneToFour),
            "4 bytes after the last tensor");
    }

    [Fact]
    public void Rejects_metadata_that_is_not_strings()
    {
        ReadBad(File("""{"__metadata__":{"epochs":30},"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", OneToFour),
            "metadata value 'epochs' is not a string");
    }

    [Fact]
    public void Rejects_a_tensor_without_data_offsets()
    {
        ReadBad(File("""{"w":{"dtype":"F32","shape":[4]}}""", OneToFour), "tensor 'w' lacks data_offsets");
    }

    [Fact]
    public void Refuses_to_write_into_a_directory_that_does_not_exist_and_leaves_nothing_behind()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "missing", "model.safetensors");

        var e = Assert.Throws<NablaException>(() =>
            SafeTensors.Write(path, [SafeTensorEntry.FromSingles("w", [1], [1f])], null));

        Assert.Contains("does not exist", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    private static IEnumerable<SafeTensorEntry> ThrowsAfterTheFirstEntry()
    {
        yield return SafeTensorEntry.FromSingles("w", [1], [1f]);
        throw new InvalidOperationException("the model failed midway");
    }

    [Fact]
    public void Keeps_the_old_file_intact_when_writing_fails_midway()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("model.safetensors", Reference);

        var e = Assert.Throws<InvalidOperationException>(() => SafeTensors.Write(path, ThrowsAfterTheFirstEntry(), null));

        Assert.Equal("the model failed midway", e.Message);
        Assert.Equal(Reference, System.IO.File.ReadAllBytes(path));
        Assert.Equal([path], Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Keeps_the_old_file_intact_when_two_tensors_share_a_name()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("model.safetensors", Reference);

        var e = Assert.Throws<NablaException>(() => SafeTensors.Write(path,
            [SafeTensorEntry.FromSingles("w", [1], [1f]), SafeTensorEntry.FromSingles("w", [1], [2f])], null));

        Assert.Contains("two tensors named 'w'", e.Message);
        Assert.Equal(Reference, System.IO.File.ReadAllBytes(path));
        Assert.Equal([path], Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Replaces_an_existing_file_and_leaves_no_temporary_file()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("model.safetensors", Reference);

        SafeTensors.Write(path, [SafeTensorEntry.FromDoubles("b", [2], [5d, 6d])], null);

        Assert.Equal([5d, 6d], SafeTensors.Read(path)["b"].ToDoubles());
        Assert.Equal([path], Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Entries_reject_data_that_does_not_fit_their_shape()
    {
        Assert.Throws<NablaException>(() => SafeTensorEntry.FromSingles("w", [2, 2], [1f, 2f, 3f]));
        Assert.Throws<NablaException>(() => new SafeTensorEntry("w", "I8", [1], [1]));
        Assert.Throws<NablaException>(() => SafeTensorEntry.FromSingles("__metadata__", [1], [1f]));
    }
}
