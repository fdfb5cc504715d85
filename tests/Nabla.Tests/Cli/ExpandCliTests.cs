using System.Text.Json;
using Nabla.Cli;
using static Nabla.Tests.Cli.CliErrorTests;

namespace Nabla.Tests.Cli;

/// <summary>`nabla train --expand`: chapter 3's expanded training data, through the built CLI.</summary>
public class ExpandCliTests
{
    private static string[] Train(params string[] more) => TrainFor(1, more);

    private static string[] TrainFor(int epochs, params string[] more) =>
        ["train", "--data", TestFiles.SampleDirectory, "--train-size", "300", "--epochs", epochs.ToString(), .. more];

    private static CliProcess.Result Succeeds(params string[] args)
    {
        var result = CliProcess.Run(args);
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}: {result.Stderr}");
        return result;
    }

    [Fact]
    public void A_table_has_no_image_shape_so_expand_is_refused_before_anything_is_read()
    {
        string digits = Path.Combine(TestFiles.SampleDirectory, "..", "tables", "digits.csv");
        AssertFails(CliProcess.Run("train", "--data", digits, "--target", "digit", "--expand"), ExitCodes.InvalidArguments,
            "--expand: it moves the pixels of images, and a table's rows have no image shape");
    }

    [Theory]
    [InlineData(new[] { "--expand-shift", "2" }, "--expand-shift: applies only with --expand")]
    [InlineData(new[] { "--expand-rotation", "5" }, "--expand-rotation: applies only with --expand")]
    [InlineData(new[] { "--expand", "--expand-shift", "28" }, "--expand-shift: must be 0 to 27 pixels for the 28×28 images of this data, got 28")]
    [InlineData(new[] { "--expand", "--expand-shift", "-1" }, "--expand-shift: must be 0 to 27")]
    [InlineData(new[] { "--expand", "--expand-rotation", "200" }, "--expand-rotation: must be 0 to 180 degrees, got 200")]
    [InlineData(new[] { "--expand", "--expand-shift", "0" }, "no image would move")]
    [InlineData(new[] { "--expand", "--expand-interpolation", "bilinar" }, "--expand-interpolation: 'bilinar' is not nearest or bilinear; did you mean 'bilinear'?")]
    [InlineData(new[] { "--expand-interpolation", "bilinear" }, "--expand-interpolation: applies only with --expand")]
    [InlineData(new[] { "--expand-mirror" }, "--expand-mirror: applies only with --expand")]
    public void Bad_sizes_are_refused_naming_the_option(string[] options, string message)
    {
        AssertFails(CliProcess.Run(Train(options)), ExitCodes.InvalidArguments, message);
    }

    [Fact]
    public void The_run_says_how_it_expands_in_text_and_in_json()
    {
        var text = Succeeds(Train("--expand"));
        Assert.Contains("300 examples expanded (shifts up to 1 pixel), seed 1", text.Stdout); // the book's expand_mnist.py
        text = Succeeds(Train("--expand", "--expand-shift", "2", "--expand-rotation", "10"));
        Assert.Contains("300 examples expanded (shifts up to 2 pixels, rotations up to 10°)", text.Stdout);
        text = Succeeds(Train("--expand", "--expand-rotation", "15", "--expand-interpolation", "bilinear"));
        Assert.Contains("300 examples expanded (shifts up to 1 pixel, rotations up to 15° (bilinear))", text.Stdout);
        text = Succeeds(Train("--expand", "--expand-shift", "0", "--expand-rotation", "0", "--expand-mirror"));
        Assert.Contains("300 examples expanded (mirrored half the time)", text.Stdout);

        using var json = JsonDocument.Parse(Succeeds(Train("--expand", "--json")).Stdout);
        var expand = json.RootElement.GetProperty("expand");
        Assert.Equal(1, expand.GetProperty("max_shift").GetInt32());
        Assert.Equal(0, expand.GetProperty("max_rotation_degrees").GetDouble());
        Assert.Equal("nearest", expand.GetProperty("interpolation").GetString());
        Assert.False(expand.GetProperty("mirror").GetBoolean());

        using var plain = JsonDocument.Parse(Succeeds(Train("--json")).Stdout);
        Assert.Equal(JsonValueKind.Null, plain.RootElement.GetProperty("expand").ValueKind);
    }

    [Fact]
    public void A_resumed_run_with_expand_ends_as_the_straight_one_bit_for_bit()
    {
        using var dir = new TempDirectory();
        string[] run = ["--expand", "--expand-shift", "2", "--expand-rotation", "12", "--activation", "relu,softmax", "--cost", "log-likelihood",
            "--init", "scaled-normal", "--eta", "0.1", "--dropout", "0.2"];
        Succeeds([.. TrainFor(2, run), "--checkpoint", dir.File("ck")]);
        Succeeds("train", "--resume", dir.File("ck"), "--epochs", "4", "--out", dir.File("resumed.safetensors"));
        Succeeds([.. TrainFor(4, run), "--out", dir.File("straight.safetensors")]);
        Succeeds([.. TrainFor(4, run[5..]), "--out", dir.File("unexpanded.safetensors")]);

        Assert.Equal(File.ReadAllBytes(dir.File("straight.safetensors")), File.ReadAllBytes(dir.File("resumed.safetensors")));
        Assert.NotEqual(File.ReadAllBytes(dir.File("straight.safetensors")), File.ReadAllBytes(dir.File("unexpanded.safetensors")));
    }
}
