using System.Text.Json;
using Nabla.Cli;

namespace Nabla.Tests.Cli;

/// <summary>
/// `train --resume DIR`: the checkpoint carries every option of the run; options given anew override them, except
/// those the checkpoint's weights and generator were made with (the real `nabla`, run as a process).
/// </summary>
public class ResumeTests
{
    private static string[] Train(string checkpoint, int epochs, params string[] more) =>
        ["train", "--data", TestFiles.SampleDirectory, "--train-size", "2000", "--epochs", epochs.ToString(), "--checkpoint", checkpoint, .. more];

    private static CliProcess.Result Succeeds(params string[] args)
    {
        var result = CliProcess.Run(args);
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}: {result.Stderr}");
        return result;
    }

    [Fact]
    public void The_checkpoint_holds_every_option_of_the_run_with_paths_made_full()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("ck");
        Succeeds(Train(checkpoint, 1, "--out", dir.File("m.safetensors"), "--plot", dir.File("p.svg"), "--eta", "0.5", "--validation", "--save", "last"));

        var settings = Checkpoint.ReadState(checkpoint).Settings;
        Assert.Equal(Path.GetFullPath(TestFiles.SampleDirectory), settings["--data"]);
        Assert.Equal(dir.File("m.safetensors"), settings["--out"]);
        Assert.Equal(dir.File("p.svg"), settings["--plot"]);
        Assert.Equal(checkpoint, settings["--checkpoint"]);
        Assert.Equal("0.5", settings["--eta"]);
        Assert.Equal("", settings["--validation"]);
        Assert.Equal("last", settings["--save"]);
        Assert.Equal("2000", settings["--train-size"]);
    }

    [Fact]
    public void A_run_without_data_resumes_on_the_data_it_found_described_as_it_was()
    {
        // Whatever is found (the Debian package, else the sample beside the tool): the checkpoint records the folder,
        // and the resumed run reads it and says the same of it (the sample stays "the bundled sample").
        using var dir = new TempDirectory();
        string checkpoint = dir.File("ck");
        var first = Succeeds(["train", "--train-size", "500", "--epochs", "1", "--checkpoint", checkpoint]);

        var record = Checkpoint.ReadState(checkpoint).Record!.Value;
        string read = record.GetProperty("data_directory").GetString()!;
        Assert.True(Path.IsPathFullyQualified(read) && Directory.Exists(read), read);
        var resumed = Succeeds("train", "--resume", checkpoint, "--epochs", "2");
        Assert.Equal(first.Stdout.Split('\n')[0], resumed.Stdout.Split('\n')[0]); // "Data: … from …"
    }

    [Fact]
    public void Options_given_anew_override_the_checkpoints_and_the_run_still_ends_as_a_straight_one()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("ck");
        Succeeds(Train(checkpoint, 2, "--out", dir.File("two.safetensors")));

        // Two more epochs, to another file: the same weights as four epochs straight.
        var resumed = Succeeds("train", "--resume", checkpoint, "--epochs", "4", "--out", dir.File("four.safetensors"));
        Succeeds(Train(dir.File("straight"), 4, "--out", dir.File("straight.safetensors")));

        Assert.Contains("Resumed from", resumed.Stdout);
        Assert.Contains("given anew: --epochs 4 (the checkpoint's run: 2)", resumed.Stdout);
        Assert.Contains($"--out {dir.File("four.safetensors")} (the checkpoint's run: {dir.File("two.safetensors")})", resumed.Stdout);
        Assert.Contains("Epoch 2:", resumed.Stdout);
        Assert.Contains("Epoch 3:", resumed.Stdout);
        Assert.DoesNotContain("Epoch 1:", resumed.Stdout);
        Assert.Equal(File.ReadAllBytes(dir.File("straight.safetensors")), File.ReadAllBytes(dir.File("four.safetensors")));
        Assert.Equal("4", Checkpoint.ReadState(checkpoint).Settings["--epochs"]); // the next resume goes on from there
    }

    [Fact]
    public void Eta_given_anew_is_the_learning_rate_from_there_on()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("ck");
        Succeeds(Train(checkpoint, 1));

        var resumed = Succeeds("train", "--resume", checkpoint, "--epochs", "2", "--eta", "0.25", "--json");

        using var json = JsonDocument.Parse(resumed.Stdout);
        var epochs = json.RootElement.GetProperty("epochs").EnumerateArray().ToList();
        Assert.Equal(3.0, epochs[0].GetProperty("eta").GetDouble());  // epoch 0, before the checkpoint
        Assert.Equal(0.25, epochs[1].GetProperty("eta").GetDouble()); // epoch 1, resumed with the new η
    }

    [Theory]
    [InlineData("--seed", "2")]
    [InlineData("--layers", "784,20,10")]
    [InlineData("--init", "scaled-normal")]
    [InlineData("--precision", "float64")]
    [InlineData("--optimizer", "adam")]
    public void Options_the_checkpoint_fixes_cannot_change_and_say_so(string option, string value)
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("ck");
        Succeeds(Train(checkpoint, 1));

        var result = CliProcess.Run("train", "--resume", checkpoint, option, value);

        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        Assert.Contains($"nabla: error: --resume: {option} cannot change when a run resumes", result.Stderr);
        Assert.Contains("start a new run instead", result.Stderr);
    }

    [Fact]
    public void Giving_anew_the_value_the_checkpoint_has_is_no_change()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("ck");
        Succeeds(Train(checkpoint, 1, "--seed", "3"));

        var resumed = Succeeds("train", "--resume", checkpoint, "--seed", "3", "--epochs", "2");
        Assert.DoesNotContain("--seed", resumed.Stdout);
    }

    [Fact]
    public void Other_training_data_is_refused_because_the_checkpoints_place_in_the_epoch_would_not_fit()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("ck");
        Succeeds(Train(checkpoint, 1));

        var result = CliProcess.Run("train", "--resume", checkpoint, "--train-size", "3000", "--epochs", "2");

        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        Assert.Contains("--resume: the checkpoint's run trains on 2,000 examples, this one would train on 3,000", result.Stderr);
    }

    [Fact]
    public void A_folder_without_a_checkpoint_is_an_input_error_naming_it()
    {
        using var dir = new TempDirectory();
        var result = CliProcess.Run("train", "--resume", dir.Path);
        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains($"--resume: {dir.Path} holds no checkpoint: state.json is missing", result.Stderr);
    }
}
