using Nabla.Data;
using Nabla.Serialization;

namespace Nabla.Tests.Fuzz;

/// <summary>
/// A small deterministic companion to the AFL++ runs of fuzz/run.sh, for CI: every truncation and many byte
/// changes of the fuzzers' seed files (fuzz/corpus) must be accepted or rejected with a NablaException, never
/// crash. The AFL++ runs (11 minutes per target) found no crash; any they find is added here as embedded bytes.
/// The truncation test found one silent acceptance, kept below as a regression test.
/// </summary>
public class ReaderRobustnessTests
{
    private static string Corpus(string target) =>
        Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(TestFiles.SampleDirectory))!, "fuzz", "corpus", target);

    /// <summary>The IDX seeds: byte 0 selects labels (even) or images (odd), as in the fuzz target.</summary>
    public static TheoryData<string> IdxSeeds() => [.. Directory.GetFiles(Corpus("idx")).Select(f => Path.GetFileName(f))];

    public static TheoryData<string> ModelSeeds() => [.. Directory.GetFiles(Corpus("model")).Select(f => Path.GetFileName(f))];

    private static void ReadIdx(string path, bool images)
    {
        if (images) Idx.ReadImages(path);
        else Idx.ReadLabels(path);
    }

    private static void ReadModel(string path)
    {
        SafeTensors.Read(path);
        ModelFile.Load<float>(path);
        ModelFile.Load<double>(path);
    }

    /// <summary>Writes <paramref name="bytes"/> and reads them; true when accepted, false when rejected with a NablaException.</summary>
    private static bool Accepted(TempDirectory dir, byte[] bytes, Action<string> read)
    {
        string path = dir.Write("input", bytes);
        try
        {
            read(path);
            return true;
        }
        catch (NablaException)
        {
            return false;
        }
    }

    /// <summary>Each header byte set to values that make sizes zero, negative, huge or odd.</summary>
    private static IEnumerable<byte[]> HeaderMutations(byte[] file, int headerBytes)
    {
        byte[] values = [0x00, 0x01, 0x07, 0x7f, 0x80, 0xff];
        for (int i = 0; i < Math.Min(headerBytes, file.Length); i++)
            foreach (byte v in values)
            {
                if (file[i] == v) continue;
                var mutated = (byte[])file.Clone();
                mutated[i] = v;
                yield return mutated;
            }
    }

    [Theory]
    [MemberData(nameof(IdxSeeds))]
    public void Idx_seed_is_accepted_and_every_truncation_of_it_rejected(string seed)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(Corpus("idx"), seed));
        bool images = (input[0] & 1) == 1;
        byte[] file = input[1..];
        using var dir = new TempDirectory();

        Assert.True(Accepted(dir, file, p => ReadIdx(p, images)), $"{seed} is not a valid seed");
        for (int length = 0; length < file.Length; length++)
            Assert.False(Accepted(dir, file[..length], p => ReadIdx(p, images)), $"{seed} cut to {length} bytes was accepted");
    }

    [Theory]
    [MemberData(nameof(IdxSeeds))]
    public void Idx_header_damage_never_crashes(string seed)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(Corpus("idx"), seed));
        bool images = (input[0] & 1) == 1;
        using var dir = new TempDirectory();

        // Raw files: the whole header (magic and dimensions); gzip files: the gzip header and the first deflate bytes.
        foreach (var mutated in HeaderMutations(input[1..], headerBytes: 24))
            Accepted(dir, mutated, p => ReadIdx(p, images)); // any exception but NablaException fails the test
    }

    [Theory]
    [MemberData(nameof(ModelSeeds))]
    public void Model_seed_loads_and_every_truncation_of_it_is_rejected(string seed)
    {
        byte[] file = File.ReadAllBytes(Path.Combine(Corpus("model"), seed));
        using var dir = new TempDirectory();

        Assert.True(Accepted(dir, file, ReadModel), $"{seed} is not a valid seed");
        for (int length = 0; length < file.Length; length++)
            Assert.False(Accepted(dir, file[..length], ReadModel), $"{seed} cut to {length} bytes was accepted");
    }

    [Theory]
    [MemberData(nameof(ModelSeeds))]
    public void Model_header_damage_never_crashes(string seed)
    {
        byte[] file = File.ReadAllBytes(Path.Combine(Corpus("model"), seed));
        using var dir = new TempDirectory();
        int headerEnd = 8 + (int)BitConverter.ToUInt64(file, 0);

        foreach (var mutated in HeaderMutations(file, headerEnd))
            Accepted(dir, mutated, ReadModel);
    }

    /// <summary>fuzz/corpus/idx/labels-8.idx.gz without its 8-byte gzip trailer (CRC-32 and length): all 16 bytes decompress.</summary>
    private static readonly byte[] GzipLabelsWithoutTrailer =
    [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x63, 0x60, 0xe0, 0x60, 0x64, 0x60,
        0x60, 0xe0, 0xe0, 0x64, 0x60, 0x60, 0x66, 0x60, 0x62, 0x67, 0x02, 0x00,
    ];

    [Fact]
    public void A_gzip_idx_file_cut_before_its_trailer_is_rejected_not_silently_accepted()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("labels.gz", GzipLabelsWithoutTrailer);

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadLabels(path));
        Assert.Contains("the gzip stream is truncated or damaged", e.Message);
    }
}
