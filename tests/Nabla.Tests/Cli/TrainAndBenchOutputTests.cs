using System.Text.Json;
using Nabla.Cli;

namespace Nabla.Tests.Cli;

/// <summary>What `train` and `bench` report, end to end on the bundled sample.</summary>
public class TrainAndBenchOutputTests
{
    private static JsonElement Json(CliProcess.Result result)
    {
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}: {result.Stderr}");
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    [Theory]
    [InlineData("cross-entropy", "relu", "use sigmoid")]
    [InlineData("cross-entropy", "tanh", "use sigmoid")]
    [InlineData("log-likelihood", "sigmoid", "use softmax")]
    public void A_cost_that_does_not_fit_the_output_layer_is_refused_before_training(string cost, string output, string fits)
    {
        var result = CliProcess.Run("train", "--data", TestFiles.SampleDirectory, "--cost", cost, "--activation", $"relu,{output}", "--epochs", "1");
        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"nabla: error: --cost {cost}:", line);
        Assert.Contains(output, line);
        Assert.Contains(fits, line);
        Assert.DoesNotContain("Epoch", result.Stdout); // refused up front
    }

    [Fact]
    public void Under_validation_the_epochs_figures_are_named_validation_and_test_is_kept_for_the_test_set()
    {
        var json = Json(CliProcess.Run("train", "--data", TestFiles.SampleDirectory, "--train-size", "300", "--epochs", "1", "--validation", "--json"));
        var epoch = json.GetProperty("epochs")[0];
        Assert.Equal("validation", epoch.GetProperty("evaluated_on").GetString());
        Assert.Equal(1666, epoch.GetProperty("validation_total").GetInt32());
        Assert.False(epoch.TryGetProperty("test_correct", out _));
        Assert.False(epoch.TryGetProperty("test_total", out _));
        Assert.Equal("validation", json.GetProperty("evaluated_on").GetString());
        Assert.Equal(2000, json.GetProperty("final_test_total").GetInt32());
    }

    [Fact]
    public void Without_validation_the_epochs_figures_are_the_test_sets()
    {
        var json = Json(CliProcess.Run("train", "--data", TestFiles.SampleDirectory, "--train-size", "300", "--epochs", "1", "--json"));
        var epoch = json.GetProperty("epochs")[0];
        Assert.Equal("test", epoch.GetProperty("evaluated_on").GetString());
        Assert.Equal(2000, epoch.GetProperty("test_total").GetInt32());
        Assert.False(epoch.GetProperty("same_output_for_every_example").GetBoolean());
    }

    [Fact]
    public void A_network_that_answers_the_same_for_every_example_is_named_with_its_dead_relus()
    {
        // ReLU everywhere and η = 1000: the output layer's ReLUs die in the first steps; the run used to end quietly at 10 %.
        var result = CliProcess.Run("train", "--data", TestFiles.SampleDirectory, "--activation", "relu", "--eta", "1000", "--train-size", "500", "--epochs", "2", "--json");
        var json = Json(result);
        var epoch = json.GetProperty("epochs")[0];
        Assert.True(epoch.GetProperty("same_output_for_every_example").GetBoolean());
        Assert.Contains("dead", epoch.GetProperty("warning").GetString());
        var warnings = result.Stderr.Split('\n').Where(l => l.StartsWith("nabla: warning:")).ToArray();
        string warning = Assert.Single(warnings); // said once, not every epoch
        Assert.Contains("the same output for every one of the 2,000 test examples", warning);
        Assert.Contains("every ReLU of the output layer outputs 0", warning);
        Assert.Contains("smaller --eta", warning);
    }

    [Fact]
    public void Bench_peak_reports_measured_throughput_for_one_core_and_all_cores()
    {
        var peak = Json(CliProcess.Run("bench", "--peak", "--json")).GetProperty("peak");
        double one = peak.GetProperty("one_core_gflops").GetDouble(), all = peak.GetProperty("all_cores_gflops").GetDouble();
        Assert.True(one > 0 && double.IsFinite(one), $"one core: {one}");
        Assert.True(all > 0 && double.IsFinite(all), $"all cores: {all}");
        Assert.Equal(Environment.ProcessorCount, peak.GetProperty("cores").GetInt32());
        Assert.Equal(10, peak.GetProperty("runs").GetInt32());
    }

    [Fact]
    public void Bench_times_the_practitioner_recipe_per_phase_against_the_measured_peak()
    {
        var json = Json(CliProcess.Run("bench", "--data", TestFiles.SampleDirectory, "--layers", "784,40,10", "--activation", "relu,softmax",
            "--cost", "log-likelihood", "--init", "scaled-normal", "--optimizer", "adam", "--eta", "0.001", "--batch", "32", "--lambda", "1",
            "--dropout", "0.3", "--epochs", "1", "--breakdown", "--json"));
        Assert.Equal("adam", json.GetProperty("optimizer").GetString());
        double gflops = json.GetProperty("gflops").GetDouble(), peak = json.GetProperty("peak").GetProperty("all_cores_gflops").GetDouble();
        Assert.Equal(gflops / peak, json.GetProperty("share_of_peak").GetDouble(), 12);
        var phases = json.GetProperty("phases").GetProperty("rows").EnumerateArray().Select(p => p.GetProperty("phase").GetString());
        Assert.Equal(["load", "feedforward", "backpropagate_error", "gradient (BP3/BP4)", "update (adam)"], phases);
    }
}
