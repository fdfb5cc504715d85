using System.IO.Compression;
using Nabla.Data;

namespace Nabla.Tests.Data;

public class IdxTests
{
    private const long SixteenMegabytes = 16L << 20;

    // Facts of the bundled files, read with Python's gzip module: the first training label is 9 (ankle boot),
    // the first test label is 9, and the first training image's pixels sum to 76,247.
    private const byte FirstTrainingLabel = 9;
    private const byte FirstTestLabel = 9;
    private const long FirstTrainingImagePixelSum = 76_247;

    [Fact]
    public void Reads_the_bundled_training_labels()
    {
        var labels = Idx.ReadLabels(TestFiles.Sample("train-labels-idx1-ubyte.gz"));

        Assert.Equal(10_000, labels.Length);
        Assert.Equal(FirstTrainingLabel, labels[0]);
        Assert.All(labels, label => Assert.InRange(label, (byte)0, (byte)9));
        Assert.Equal(10, labels.Distinct().Count());
    }

    [Fact]
    public void Reads_the_bundled_test_labels()
    {
        var labels = Idx.ReadLabels(TestFiles.Sample("t10k-labels-idx1-ubyte.gz"));

        Assert.Equal(2_000, labels.Length);
        Assert.Equal(FirstTestLabel, labels[0]);
        Assert.All(labels, label => Assert.InRange(label, (byte)0, (byte)9));
    }

    [Fact]
    public void Reads_the_bundled_training_images()
    {
        var images = Idx.ReadImages(TestFiles.Sample("train-images-idx3-ubyte.gz"));

        Assert.Equal(10_000, images.Count);
        Assert.Equal(28, images.Rows);
        Assert.Equal(28, images.Columns);
        Assert.Equal(10_000 * 28 * 28, images.Pixels.Length);
        Assert.Equal(0, images.Pixels.Min());
        Assert.Equal(255, images.Pixels.Max());
        Assert.Equal(FirstTrainingImagePixelSum, images.Pixels.AsSpan(0, 784).ToArray().Sum(p => (long)p));
    }

    [Fact]
    public void Reads_the_bundled_test_images()
    {
        var images = Idx.ReadImages(TestFiles.Sample("t10k-images-idx3-ubyte.gz"));

        Assert.Equal(2_000, images.Count);
        Assert.Equal((28, 28), (images.Rows, images.Columns));
        Assert.Contains((byte)0, images.Pixels);
        Assert.Contains((byte)255, images.Pixels);
    }

    [Fact]
    public void Reads_a_raw_file_the_same_as_its_gzip_whatever_its_name()
    {
        using var dir = new TempDirectory();
        var raw = TestFiles.Gunzip(TestFiles.Sample("t10k-images-idx3-ubyte.gz"));
        // A raw file named .gz and a gzip file without the suffix: the reader goes by the bytes.
        string rawPath = dir.Write("raw.gz", raw);
        string gzPath = dir.WriteGzip("images", raw);

        var fromRaw = Idx.ReadImages(rawPath);
        var fromGz = Idx.ReadImages(gzPath);

        Assert.Equal(raw.AsSpan(16).ToArray(), fromRaw.Pixels);
        Assert.Equal(fromRaw.Pixels, fromGz.Pixels);
        Assert.Equal((2_000, 28, 28), (fromGz.Count, fromGz.Rows, fromGz.Columns));
    }

    [Fact]
    public void Rejects_a_file_with_the_wrong_magic()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("bad-magic", [0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 5]);

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadLabels(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("expected an IDX label file (magic 0x00000801) but found 0x12340801", e.Message);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void Rejects_a_label_file_given_where_images_are_expected()
    {
        string path = TestFiles.Sample("train-labels-idx1-ubyte.gz");

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadImages(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("expected an IDX image file (magic 0x00000803) but found 0x00000801", e.Message);
        Assert.Contains("that is an IDX label file", e.Message);
    }

    [Fact]
    public void Rejects_a_type_other_than_unsigned_bytes()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("floats", [.. TestFiles.IdxHeader(0x0D, 1), 0, 0, 0, 0]);

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadLabels(path));

        Assert.Contains("but found 0x00000D01", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rejects_a_truncated_header(bool gzip)
    {
        using var dir = new TempDirectory();
        byte[] bytes = TestFiles.IdxHeader(0x08, 10, 28, 28)[..10]; // magic, count, half of rows
        string path = gzip ? dir.WriteGzip("short.gz", bytes) : dir.Write("short", bytes);

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadImages(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("truncated header", e.Message);
        Assert.Equal(10, e.Offset);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rejects_a_file_too_short_for_its_magic(bool gzip)
    {
        using var dir = new TempDirectory();
        string path = gzip ? dir.WriteGzip("tiny.gz", [0, 0]) : dir.Write("tiny", [0, 0]);

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadLabels(path));

        Assert.Contains("truncated header", e.Message);
        Assert.Equal(2, e.Offset);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rejects_a_truncated_body_naming_where_the_data_ended(bool gzip)
    {
        using var dir = new TempDirectory();
        byte[] bytes = TestFiles.Idx([3, 2, 2], new byte[11]); // 3 images of 2×2 need 12 bytes
        string path = gzip ? dir.WriteGzip("cut.gz", bytes) : dir.Write("cut", bytes);

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadImages(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Equal(16 + 11, e.Offset);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rejects_trailing_bytes_after_the_claimed_data(bool gzip)
    {
        using var dir = new TempDirectory();
        byte[] bytes = TestFiles.Idx([4], [1, 2, 3, 4, 5]);
        string path = gzip ? dir.WriteGzip("long.gz", bytes) : dir.Write("long", bytes);

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadLabels(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("trailing", e.Message);
        Assert.Equal(8 + 4, e.Offset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Rejects_a_dimension_that_is_not_positive(int rows)
    {
        using var dir = new TempDirectory();
        string path = dir.Write("zero", TestFiles.IdxHeader(0x08, 1, rows, 28));

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadImages(path));

        Assert.Contains($"dimension 1 is {rows}", e.Message);
        Assert.Equal(8, e.Offset);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rejects_a_header_that_claims_billions_of_labels_without_allocating(bool gzip)
    {
        using var dir = new TempDirectory();
        byte[] bytes = TestFiles.Idx([2_000_000_000], [1, 2, 3]);
        string path = gzip ? dir.WriteGzip("huge.gz", bytes) : dir.Write("huge", bytes);

        InvalidFileException? e = null;
        long allocated = TestFiles.AllocatedDuring(() => e = Assert.Throws<InvalidFileException>(() => Idx.ReadLabels(path)));

        Assert.Contains(path, e!.Message);
        Assert.Contains("2,000,000,000 labels, more than the limit of 10,000,000", e.Message);
        Assert.True(allocated < SixteenMegabytes, $"allocated {allocated:N0} bytes");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rejects_a_header_that_claims_100000_cubed_pixels_without_allocating(bool gzip)
    {
        using var dir = new TempDirectory();
        byte[] bytes = TestFiles.Idx([100_000, 100_000, 100_000], [1, 2, 3]);
        string path = gzip ? dir.WriteGzip("cube.gz", bytes) : dir.Write("cube", bytes);

        InvalidFileException? e = null;
        long allocated = TestFiles.AllocatedDuring(() => e = Assert.Throws<InvalidFileException>(() => Idx.ReadImages(path)));

        Assert.Contains(path, e!.Message);
        Assert.Contains("more than the limit of", e.Message);
        Assert.True(allocated < SixteenMegabytes, $"allocated {allocated:N0} bytes");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rejects_a_small_file_whose_header_claims_hundreds_of_megabytes_within_the_limits_without_allocating_them(bool gzip)
    {
        // 1,000,000 images of 28×28 is 784 MB: allowed by the limits, so only the data itself can expose the lie. The
        // data is random, so the gzip file is as long as the data and deflate's 1032× bound does not refuse the claim.
        using var dir = new TempDirectory();
        var body = new byte[1_000_000];
        new Random(1).NextBytes(body);
        byte[] bytes = TestFiles.Idx([1_000_000, 28, 28], body);
        string path = gzip ? dir.WriteGzip("liar.gz", bytes) : dir.Write("liar", bytes);

        InvalidFileException? e = null;
        long allocated = TestFiles.AllocatedDuring(() => e = Assert.Throws<InvalidFileException>(() => Idx.ReadImages(path)));

        Assert.Contains("truncated", e!.Message);
        Assert.Equal(gzip ? 16 + body.Length : bytes.Length, e.Offset);
        Assert.True(allocated < SixteenMegabytes, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Rejects_a_gzip_file_whose_header_claims_more_than_deflate_can_expand_it_to_before_allocating()
    {
        // 60,000 images of 28×28 (47 MB) claimed by a gzip file of a few dozen bytes: deflate expands at most 1032×.
        using var dir = new TempDirectory();
        string path = dir.WriteGzip("small.gz", TestFiles.Idx([60_000, 28, 28], new byte[5_000]));
        long fileLength = new FileInfo(path).Length;

        InvalidFileException? e = null;
        long allocated = TestFiles.AllocatedDuring(() => e = Assert.Throws<InvalidFileException>(() => Idx.ReadImages(path)));

        Assert.Equal($"{path}: at byte 4: the header claims 47,040,000 data bytes, but a gzip file of {fileLength:N0} bytes decompresses " +
            $"to at most {1032 * fileLength:N0} (deflate expands at most 1032×): the header is wrong or the file truncated", e!.Message);
        Assert.Equal(4, e.Offset);
        Assert.True(allocated < 256 << 10, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Caps_a_small_gzip_file_that_truly_decompresses_to_more_than_the_limit_before_allocating()
    {
        // A gzip "bomb": 31 MB of zero pixels, honestly declared, compress to 30 KB. Only the byte cap stands between
        // such a file and an allocation a thousand times its length.
        using var dir = new TempDirectory();
        byte[] bomb = TestFiles.Gzip(TestFiles.Idx([40_000, 28, 28], new byte[40_000 * 28 * 28]), CompressionLevel.SmallestSize);
        string path = dir.Write("bomb.gz", bomb);
        Assert.True(bomb.Length < 64 << 10, $"{bomb.Length:N0} bytes");
        var limits = new IdxLimits { MaxBytes = 8 << 20 };

        InvalidFileException? e = null;
        long allocated = TestFiles.AllocatedDuring(() => e = Assert.Throws<InvalidFileException>(() => Idx.ReadImages(path, limits)));

        Assert.Equal($"{path}: at byte 12: the header claims dimensions 40000 × 28 × 28, more than the limit of 8,388,608 bytes", e!.Message);
        Assert.True(allocated < 256 << 10, $"allocated {allocated:N0} bytes");
        Assert.Equal(40_000 * 28 * 28, Idx.ReadImages(path, new IdxLimits { MaxBytes = 32 << 20 }).Pixels.Length);
    }

    [Theory]
    [InlineData(697_932, false)] // EMNIST ByClass's training images, 547 MB: the largest of the MNIST family
    [InlineData(1_400_000, true)] // 1.1 GB
    public void The_default_byte_limit_admits_emnist_and_refuses_more_than_a_gigabyte(int images, bool refused)
    {
        using var dir = new TempDirectory();
        string path = dir.Write("claim", TestFiles.Idx([images, 28, 28], new byte[100]));

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadImages(path));

        Assert.Equal(refused, e.Message.Contains("more than the limit of 1,073,741,824 bytes"));
        Assert.Equal(!refused, e.Message.Contains("truncated"));
        Assert.Equal(1L << 30, IdxLimits.Default.MaxBytes);
    }

    [Fact]
    public void An_image_file_must_claim_as_many_images_as_its_labels_before_its_pixels_are_allocated()
    {
        // Three labels, and an image file that honestly inflates to 60,000 images (47 MB) from a 46 KB gzip.
        using var dir = new TempDirectory();
        string labels = dir.Write("labels", TestFiles.Idx([3], [1, 2, 3]));
        string images = dir.Write("images.gz", TestFiles.Gzip(TestFiles.Idx([60_000, 28, 28], new byte[60_000 * 28 * 28]), CompressionLevel.SmallestSize));

        InvalidFileException? e = null;
        long allocated = TestFiles.AllocatedDuring(() => e = Assert.Throws<InvalidFileException>(() => Dataset.FromIdx(images, labels)));

        Assert.Equal($"{images}: at byte 4: the header claims 60,000 images but the label file {labels} holds 3 labels; the counts must agree", e!.Message);
        Assert.True(allocated < 256 << 10, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Honours_tighter_limits()
    {
        var limits = new IdxLimits { MaxItems = 1_000 };

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadLabels(TestFiles.Sample("t10k-labels-idx1-ubyte.gz"), limits));

        Assert.Contains("2,000 labels, more than the limit of 1,000", e.Message);
    }

    [Fact]
    public void Rejects_limits_that_make_no_sense()
    {
        Assert.Throws<NablaException>(() => new IdxLimits { MaxItems = 0 });
        Assert.Throws<NablaException>(() => new IdxLimits { MaxBytes = long.MaxValue });
    }

    [Fact]
    public void Rejects_a_corrupt_gzip_stream()
    {
        using var dir = new TempDirectory();
        // A valid gzip header, then a deflate block of the reserved type 3: no decoder can accept it.
        byte[] bytes = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff, .. Enumerable.Repeat((byte)0xff, 32)];
        string path = dir.Write("corrupt.gz", bytes);

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadLabels(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("gzip stream is corrupt", e.Message);
    }

    [Fact]
    public void Rejects_a_gzip_stream_whose_checksum_is_wrong()
    {
        using var dir = new TempDirectory();
        byte[] bytes = TestFiles.Gzip(TestFiles.Idx([4], [1, 2, 3, 4]));
        bytes[^8] ^= 0xff; // the CRC-32 in the gzip trailer
        string path = dir.Write("crc.gz", bytes);

        var e = Assert.Throws<InvalidFileException>(() => Idx.ReadLabels(path));

        Assert.Contains("gzip stream is corrupt", e.Message);
    }

    [Fact]
    public void Reports_a_missing_file_by_its_path()
    {
        using var dir = new TempDirectory();
        string path = dir.File("absent-labels");

        var e = Assert.Throws<NablaException>(() => Idx.ReadLabels(path));

        Assert.IsNotType<InvalidFileException>(e);
        Assert.Contains(path, e.Message);
    }
}
