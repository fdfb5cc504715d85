using System.Text.Json;
using Nabla.Cli;

namespace Nabla.Tests.Cli;

/// <summary>
/// `train --out` with `--save best|last`: the file holds the network the output says it holds, which `evaluate` confirms
/// (the real `nabla`, run as a process). In this run (seed 1, 2,000 examples, 8 epochs) the best epoch is not the last, with
/// 512-bit vectors (epoch 6) and with 256-bit ones (epoch 4).
/// </summary>
public class SaveTests
{
    private const int LastEpoch = 7;

    private static string[] Train(string output, params string[] more) =>
        ["train", "--data", TestFiles.SampleDirectory, "--train-size", "2000", "--epochs", "8", "--out", output, .. more];

    private static (JsonElement Json, string Stdout) TrainJson(params string[] args)
    {
        var result = CliProcess.Run([.. args, "--json"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return (JsonDocument.Parse(result.Stdout).RootElement.Clone(), result.Stdout);
    }

    /// <summary>The accuracy `nabla evaluate` measures for the file.</summary>
    private static double Evaluate(string model)
    {
        var result = CliProcess.Run("evaluate", "--model", model, "--data", TestFiles.SampleDirectory, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement.GetProperty("test_accuracy").GetDouble();
    }

    private static double EpochAccuracy(JsonElement run, int epoch) =>
        run.GetProperty("epochs").EnumerateArray().Single(e => e.GetProperty("epoch").GetInt32() == epoch).GetProperty("evaluation_accuracy").GetDouble();

    [Fact]
    public void By_default_a_run_judged_on_the_test_set_saves_the_last_epoch_and_says_so()
    {
        using var dir = new TempDirectory();
        string model = dir.File("m.safetensors");
        var (run, _) = TrainJson(Train(model));

        int best = run.GetProperty("best_epoch").GetInt32();
        Assert.NotEqual(LastEpoch, best); // the case that misled: "Best" printed, the last saved
        Assert.Equal("last", run.GetProperty("save").GetString());
        Assert.Equal(LastEpoch, run.GetProperty("saved_epoch").GetInt32());
        Assert.Equal(EpochAccuracy(run, LastEpoch), Evaluate(model));

        var prose = CliProcess.Run(Train(model));
        Assert.Contains($"Saved the network of the last epoch, {LastEpoch} ({EpochAccuracy(run, LastEpoch):P2} on the test data), to {model}; " +
                        $"the best was epoch {best}, {EpochAccuracy(run, best):P2} (--save best saves it)", prose.Stdout);
    }

    [Fact]
    public void Save_best_saves_the_epoch_that_Best_names()
    {
        using var dir = new TempDirectory();
        string model = dir.File("m.safetensors");
        var (run, _) = TrainJson(Train(model, "--save", "best"));

        int best = run.GetProperty("best_epoch").GetInt32();
        Assert.Equal("best", run.GetProperty("save").GetString());
        Assert.Equal(best, run.GetProperty("saved_epoch").GetInt32());
        Assert.Equal(run.GetProperty("best_accuracy").GetDouble(), Evaluate(model));

        var prose = CliProcess.Run(Train(model, "--save", "best"));
        Assert.Contains($"Best: epoch {best}, {EpochAccuracy(run, best):P2} on the test data", prose.Stdout);
        Assert.Contains($"Saved the best network, of epoch {best} ({EpochAccuracy(run, best):P2} on the test data), to {model}; " +
                        $"the last epoch, {LastEpoch}, had {EpochAccuracy(run, LastEpoch):P2} (--save last saves it)", prose.Stdout);
    }

    [Fact]
    public void With_validation_the_default_is_the_best_on_the_validation_data_and_the_test_scores_that_network()
    {
        using var dir = new TempDirectory();
        string model = dir.File("m.safetensors");
        var (run, _) = TrainJson(Train(model, "--validation"));

        Assert.Equal("best", run.GetProperty("save").GetString());
        Assert.Equal(run.GetProperty("best_epoch").GetInt32(), run.GetProperty("saved_epoch").GetInt32());
        Assert.Equal(run.GetProperty("final_test_accuracy").GetDouble(), Evaluate(model));

        var last = TrainJson(Train(dir.File("last.safetensors"), "--validation", "--save", "last")).Json;
        Assert.Equal("last", last.GetProperty("save").GetString());
        Assert.Equal(last.GetProperty("final_test_accuracy").GetDouble(), Evaluate(dir.File("last.safetensors")));
    }

    [Fact]
    public void Save_best_without_any_evaluated_epoch_is_refused_and_says_why()
    {
        var result = CliProcess.Run("train", "--data", TestFiles.SampleDirectory, "--epochs", "0", "--save", "best");
        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        Assert.Contains("--save best: with --epochs 0 no epoch is evaluated, so there is no best network to save; use --save last", result.Stderr);
    }

    [Fact]
    public void Save_best_without_evaluation_data_is_refused_and_says_why()
    {
        // Five training images: the validation split (a sixth of the file) holds none.
        using var dir = new TempDirectory();
        byte[] images = TestFiles.Gunzip(TestFiles.Sample("train-images-idx3-ubyte.gz")), labels = TestFiles.Gunzip(TestFiles.Sample("train-labels-idx1-ubyte.gz"));
        dir.Write("train-images-idx3-ubyte", TestFiles.Idx([5, 28, 28], images[16..(16 + 5 * 784)]));
        dir.Write("train-labels-idx1-ubyte", [.. TestFiles.IdxHeader(0x08, 5), .. labels[8..13]]);
        File.Copy(TestFiles.Sample("t10k-images-idx3-ubyte.gz"), dir.File("t10k-images-idx3-ubyte.gz"));
        File.Copy(TestFiles.Sample("t10k-labels-idx1-ubyte.gz"), dir.File("t10k-labels-idx1-ubyte.gz"));

        var result = CliProcess.Run("train", "--data", dir.Path, "--epochs", "1", "--validation", "--save", "best");

        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        Assert.Contains("--save best: the validation data holds no examples, so no epoch can be chosen as the best; use --save last", result.Stderr);
    }

    [Fact]
    public void An_unknown_choice_names_both()
    {
        var result = CliProcess.Run("train", "--data", TestFiles.SampleDirectory, "--save", "bset");
        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        Assert.Contains("--save: 'bset' is not best or last; did you mean 'best'?", result.Stderr);
    }
}
