using Nabla.Cli;
using static Nabla.Tests.Cli.CliErrorTests;

namespace Nabla.Tests.Cli;

/// <summary>
/// --max-idx-size on every command that reads IDX data: the cap reaches the reader (the bundled training images,
/// 7.8 MB decompressed, are refused under 1M and read under 8M), and a bad size is an argument error.
/// </summary>
public sealed class IdxLimitCliTests : IDisposable
{
    private static readonly string Sample = TestFiles.SampleDirectory;
    private const string ModelPlaceholder = "MODEL";

    /// <summary>A 784-input model for the commands that need one, in place of <see cref="ModelPlaceholder"/>.</summary>
    private readonly TempDirectory _dir = new();
    private readonly string _model;

    public IdxLimitCliTests()
    {
        _model = _dir.File("model.safetensors");
        ModelFile.Save(new Network<float>([784, 10, 10], Activation.Sigmoid, seed: 1), Cost.Quadratic, _model);
    }

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string[]> CommandsThatReadIdx() =>
    [
        ["train", "--data", Sample, "--epochs", "1", "--train-size", "20"],
        ["evaluate", "--model", ModelPlaceholder, "--data", Sample],
        ["gradcheck", "--data", Sample],
        ["explain", "demon", "--data", Sample],
        ["explain", "paths", "--data", Sample, "--layers", "784,3,10"],
        ["explain", "saturation", "--model", ModelPlaceholder, "--data", Sample],
        ["explain", "slowdown", "--data", Sample, "--epochs", "1", "--train-size", "20"],
        ["bench", "--data", Sample, "--epochs", "1", "--layers", "784,10,10"],
    ];

    [Theory]
    [MemberData(nameof(CommandsThatReadIdx))]
    public void A_file_over_the_limit_exits_with_code_3_naming_file_offset_and_the_option(string[] command)
    {
        var result = CliProcess.Run([.. command.Select(a => a == ModelPlaceholder ? _model : a), "--max-idx-size", "1M"]);

        AssertFails(result, ExitCodes.InvalidInput,
            $"{Path.Combine(Sample, "train-images-idx3-ubyte.gz")}: at byte 12: the header claims dimensions 10000 × 28 × 28, " +
            "more than the limit of 1,048,576 bytes; --max-idx-size raises the limit");
    }

    [Fact]
    public void A_limit_the_files_fit_in_trains()
    {
        var result = CliProcess.Run("train", "--data", Sample, "--epochs", "1", "--train-size", "20", "--max-idx-size", "8M");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        Assert.Contains("Epoch 0:", result.Stdout);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("3G")]
    [InlineData("1.5G")]
    [InlineData("12X")]
    [InlineData("-1")]
    public void A_size_that_is_not_one_exits_with_code_2(string size)
    {
        AssertFails(CliProcess.Run("train", "--data", Sample, "--max-idx-size", size), ExitCodes.InvalidArguments,
            $"--max-idx-size: '{size}' is not a size from 1 to 2,147,483,591 bytes");
    }

    [Theory]
    [InlineData("800000000", 800_000_000L)]
    [InlineData("512K", 512L << 10)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("1g", 1L << 30)]
    [InlineData("2b", 2L)]
    public void Sizes_take_binary_suffixes(string text, long bytes)
    {
        Assert.Equal(bytes, Nabla.Cli.Commands.CommonOptions.ParseSize(text));
    }
}
