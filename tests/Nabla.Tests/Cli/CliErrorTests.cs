using System.Diagnostics;
using System.Text.Json;
using static Nabla.Tests.Cli.CliProcess;
using Nabla.Cli;

namespace Nabla.Tests.Cli;

/// <summary>
/// The CLI's failure paths, end to end: the built Nabla.Cli.dll (copied beside the tests by the project reference)
/// runs as a process, and each failure must be one line on stderr, no stack trace, and the documented exit code.
/// </summary>
public class CliErrorTests
{
    private static Result Run(params string[] args) => CliProcess.Run(args);

    /// <summary>Exit code <paramref name="code"/>, and stderr one "nabla: error:" line containing every fragment.</summary>
    internal static void AssertFails(Result result, int code, params string[] fragments)
    {
        Assert.True(result.ExitCode == code, $"exit code {result.ExitCode}, expected {code}; stderr: {result.Stderr}");
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("nabla: error: ", line);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
        Assert.DoesNotContain("internal error", line);
        foreach (var fragment in fragments) Assert.Contains(fragment, line);
    }

    /// <summary>A --data folder holding copies of the bundled sample's four files.</summary>
    private static TempDirectory SampleCopy()
    {
        var dir = new TempDirectory();
        foreach (var file in Directory.GetFiles(TestFiles.SampleDirectory, "*.gz"))
            File.Copy(file, dir.File(Path.GetFileName(file)));
        return dir;
    }

    // A quick run: training fails before or after a few examples, never after minutes.
    private static string[] Train(string data, params string[] more) => ["train", "--data", data, "--epochs", "1", "--train-size", "20", .. more];

    [Theory]
    [InlineData("--eta", "0", "--eta: the learning rate must be a positive number")]
    [InlineData("--eta", "-1", "--eta")]
    [InlineData("--batch", "0", "--batch: the mini-batch size must be at least 1")]
    [InlineData("--epochs", "-1", "--epochs: must be 0 or more")]
    [InlineData("--layers", "784,x,10", "--layers: 'x' is not a positive whole number")]
    [InlineData("--layers", "784", "needs at least an input and an output layer")]
    [InlineData("--precision", "half", "--precision: 'half' is not float32 or float64")]
    [InlineData("--eta", "abc", "'abc'")]
    [InlineData("--frobnicate", "1", "--frobnicate")]
    public void Bad_arguments_exit_with_code_2_and_name_the_option(string option, string value, string expected)
    {
        AssertFails(Run("train", option, value, "--data", TestFiles.SampleDirectory), ExitCodes.InvalidArguments, expected);
    }

    [Fact]
    public void Input_layer_that_does_not_match_the_data_exits_with_code_2()
    {
        AssertFails(Run(Train(TestFiles.SampleDirectory, "--layers", "100,30,10")), ExitCodes.InvalidArguments,
            "--layers: the input layer has 100 neurons but the data has 784 inputs");
    }

    [Fact]
    public void A_label_outside_0_to_9_exits_with_code_3_naming_file_and_example()
    {
        using var dir = SampleCopy();
        byte[] labels = TestFiles.Gunzip(dir.File("t10k-labels-idx1-ubyte.gz"));
        labels[8 + 5] = 42;
        dir.WriteGzip("t10k-labels-idx1-ubyte.gz", labels);

        AssertFails(Run(Train(dir.Path)), ExitCodes.InvalidInput, "t10k-labels-idx1-ubyte.gz", "the label of example 5 is 42");
    }

    [Fact]
    public void A_folder_with_only_some_of_the_four_files_exits_with_code_3_naming_the_missing_ones()
    {
        using var dir = SampleCopy();
        File.Delete(dir.File("t10k-images-idx3-ubyte.gz"));
        File.Delete(dir.File("t10k-labels-idx1-ubyte.gz"));

        AssertFails(Run(Train(dir.Path)), ExitCodes.InvalidInput, "lacks t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte");
    }

    [Fact]
    public void A_truncated_image_file_exits_with_code_3_naming_the_file()
    {
        using var dir = SampleCopy();
        byte[] images = TestFiles.Gunzip(dir.File("t10k-images-idx3-ubyte.gz"));
        dir.WriteGzip("t10k-images-idx3-ubyte.gz", images[..1000]);

        AssertFails(Run(Train(dir.Path)), ExitCodes.InvalidInput, "t10k-images-idx3-ubyte.gz", "truncated");
    }

    [Fact]
    public void A_folder_where_a_data_file_should_be_exits_with_code_3()
    {
        // Tests run as root in CI, where chmod 000 does not stop reads; a folder in the file's place is unreadable for everyone.
        using var dir = SampleCopy();
        File.Delete(dir.File("train-labels-idx1-ubyte.gz"));
        Directory.CreateDirectory(dir.File("train-labels-idx1-ubyte"));

        var result = Run(Train(dir.Path));

        // A folder is not a file, so the folder counts as lacking it.
        AssertFails(result, ExitCodes.InvalidInput, "lacks train-labels-idx1-ubyte");
    }

    [Fact]
    public void A_named_pipe_in_place_of_a_data_file_exits_with_code_3_instead_of_waiting_for_a_writer()
    {
        using var dir = SampleCopy();
        File.Delete(dir.File("t10k-labels-idx1-ubyte.gz"));
        string pipe = dir.File("t10k-labels-idx1-ubyte");
        Assert.Equal(0, Shell("mkfifo", pipe));

        AssertFails(Run(Train(dir.Path)), ExitCodes.InvalidInput, $"{pipe}: cannot read the IDX label file: it is a device, pipe or socket");
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void An_unreadable_data_file_exits_with_code_3_when_not_root()
    {
        using var dir = SampleCopy();
        string labels = dir.File("train-labels-idx1-ubyte.gz");
        File.SetUnixFileMode(labels, UnixFileMode.None);
        bool readable;
        try { File.OpenRead(labels).Dispose(); readable = true; }
        catch (UnauthorizedAccessException) { readable = false; }

        var result = Run(Train(dir.Path));

        if (readable)
            Assert.Equal(ExitCodes.Success, result.ExitCode); // root reads it anyway: nothing to reject
        else
            AssertFails(result, ExitCodes.InvalidInput, "train-labels-idx1-ubyte.gz");
    }

    [Fact]
    public void A_model_that_is_not_a_model_file_exits_with_code_3()
    {
        using var dir = new TempDirectory();
        string model = dir.Write("model.safetensors", "this is not a model"u8.ToArray());

        AssertFails(Run("evaluate", "--model", model, "--data", TestFiles.SampleDirectory), ExitCodes.InvalidInput, model);
    }

    [Fact]
    public void A_missing_model_exits_with_code_3()
    {
        using var dir = new TempDirectory();
        AssertFails(Run("evaluate", "--model", dir.File("none.safetensors"), "--data", TestFiles.SampleDirectory), ExitCodes.InvalidInput, "none.safetensors");
    }

    [Fact]
    public void Saving_into_a_folder_that_takes_no_files_exits_with_code_4_before_training()
    {
        var result = Run(Train(TestFiles.SampleDirectory, "--out", "/proc/model.safetensors"));

        AssertFails(result, ExitCodes.OutputFailed, "--out: /proc/model.safetensors: cannot write");
        Assert.DoesNotContain("Epoch", result.Stdout);
    }

    [Fact]
    public void Saving_over_a_named_pipe_exits_with_code_4_and_leaves_the_pipe_alone()
    {
        // Renaming the finished file over a device or pipe would replace it with a plain file (as root, even /dev/null);
        // a pipe in a temporary folder stands for them, so that a regression cannot damage the machine's devices.
        using var dir = new TempDirectory();
        string pipe = dir.File("pipe");
        Assert.Equal(0, Shell("mkfifo", pipe));

        AssertFails(Run(Train(TestFiles.SampleDirectory, "--out", pipe)), ExitCodes.OutputFailed,
            $"{pipe}: cannot write: it is a device, pipe or socket, not a regular file");
        Assert.Equal(0, Shell("test", "-p", pipe));
    }

    private static int Shell(string command, params string[] args)
    {
        using var process = Process.Start(command, args);
        process.WaitForExit();
        return process.ExitCode;
    }

    [Fact]
    public void Saving_fails_with_code_4_and_keeps_the_old_file_when_the_folder_goes_away_during_training()
    {
        using var dir = new TempDirectory();
        string folder = Directory.CreateDirectory(dir.File("models")).FullName;
        string model = Path.Combine(folder, "model.safetensors");
        File.WriteAllText(model, "the previous model");

        // The folder is checked before training; make it unwritable during training by swapping it for a file.
        var result = RunWhile(["train", "--data", TestFiles.SampleDirectory, "--out", model, "--train-size", "8000", "--epochs", "3"],
            whenTraining: () =>
            {
                Directory.Move(folder, folder + ".kept");
                File.WriteAllText(folder, "");
            });

        AssertFails(result, ExitCodes.OutputFailed, "--out: the trained network was not saved", model);
        Assert.Equal("the previous model", File.ReadAllText(Path.Combine(folder + ".kept", "model.safetensors")));
    }

    /// <summary>Runs the CLI and calls <paramref name="whenTraining"/> once it prints its first line (the data line).</summary>
    private static Result RunWhile(string[] args, Action whenTraining)
    {
        using var process = CliProcess.Start(args);
        string first = process.StandardOutput.ReadLine() ?? "";
        Assert.StartsWith("Data:", first);
        whenTraining();
        return CliProcess.Finish(process, first + "\n");
    }

    [Fact]
    public void Json_errors_are_one_object_on_stdout_with_error_and_exit_code()
    {
        var result = Run("train", "--batch", "0", "--json", "--data", TestFiles.SampleDirectory);

        AssertFails(result, ExitCodes.InvalidArguments, "--batch");
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Contains("--batch: the mini-batch size must be at least 1", json.RootElement.GetProperty("error").GetString());
        Assert.Equal(ExitCodes.InvalidArguments, json.RootElement.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public void Json_parse_errors_are_json_too()
    {
        var result = Run("train", "--frobnicate", "--json");

        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Contains("--frobnicate", json.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        var result = Run("evaluate", "--model", "/nonexistent/model.safetensors", "--data", TestFiles.SampleDirectory, "--verbose");

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains("   at ", result.Stderr);
        Assert.Contains("nabla: error: ", result.Stderr);
    }
}
