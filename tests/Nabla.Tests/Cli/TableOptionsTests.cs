using System.Diagnostics;
using System.Text.Json;
using Nabla.Cli;
using Nabla.Tests.Data;

namespace Nabla.Tests.Cli;

/// <summary>
/// The IDX run's options on a table, through the built CLI: --validation, --save best|last, --early-stopping, --plot,
/// --checkpoint and --resume (bit-exact, the preprocessing in the checkpoint), Ctrl-C, --train-size, --diagnostics.
/// </summary>
public class TableOptionsTests
{
    private static string Table(string name) => TableReaderTests.RepositoryTable(name);

    private static string[] Wine(int epochs, params string[] more) =>
        ["train", "--data", Table("wine.csv"), "--target", "cultivar", "--epochs", epochs.ToString(), .. more];

    private static JsonElement Json(params string[] args)
    {
        var result = CliProcess.Run([.. args, "--json"]);
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}: {result.Stderr}");
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    private static CliProcess.Result Succeeds(params string[] args)
    {
        var result = CliProcess.Run(args);
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}: {result.Stderr}");
        return result;
    }

    private static int[] Supports(JsonElement run) =>
        run.GetProperty("test").GetProperty("per_class").EnumerateArray().Select(c => c.GetProperty("support").GetInt32()).ToArray();

    [Fact]
    public void Validation_holds_out_a_sixth_of_the_training_rows_judges_each_epoch_on_them_and_scores_the_test_rows_once()
    {
        var plain = Json(Wine(3));
        var validated = Json(Wine(3, "--validation"));

        // wine: 178 rows, 80/20 by class → 142 training; with --validation a sixth of them (by class) is held out.
        Assert.Equal(142, plain.GetProperty("data").GetProperty("training").GetInt32());
        var data = validated.GetProperty("data");
        Assert.Equal(142, data.GetProperty("training").GetInt32() + data.GetProperty("validation").GetInt32());
        Assert.InRange(data.GetProperty("validation").GetInt32(), 22, 25);
        Assert.Equal("validation", validated.GetProperty("evaluated_on").GetString());
        foreach (var epoch in validated.GetProperty("epochs").EnumerateArray())
        {
            Assert.Equal("validation", epoch.GetProperty("evaluated_on").GetString());
            Assert.Equal(data.GetProperty("validation").GetInt32(), epoch.GetProperty("evaluation_total").GetInt32());
        }
        // The test rows are the same rows with or without it, scored once at the end, by the best network by default.
        Assert.Equal(Supports(plain), Supports(validated));
        Assert.Equal("best", validated.GetProperty("save").GetString());
        Assert.Equal("last", plain.GetProperty("save").GetString());

        // A --test file: the validation sixth comes out of --data, all of which trained before.
        using var dir = new TempDirectory();
        var withTest = Json("train", "--data", Table("wine.csv"), "--test", Table("wine.csv"), "--target", "cultivar", "--epochs", "1", "--validation");
        Assert.Equal(178, withTest.GetProperty("data").GetProperty("training").GetInt32() + withTest.GetProperty("data").GetProperty("validation").GetInt32());
        Assert.Equal(178, withTest.GetProperty("test").GetProperty("rows").GetInt32());
    }

    [Fact]
    public void Save_best_and_last_save_the_epoch_they_name()
    {
        using var dir = new TempDirectory();
        string best = dir.File("best.safetensors"), last = dir.File("last.safetensors");
        var run = Json(Wine(12, "--split", "0.6,0.2,0.2", "--eta", "0.0003", "--out", best));
        int bestEpoch = run.GetProperty("best_epoch").GetInt32();
        Assert.Equal("best", run.GetProperty("save").GetString());
        Assert.Equal(bestEpoch, run.GetProperty("saved_epoch").GetInt32());
        var lastRun = Json(Wine(12, "--split", "0.6,0.2,0.2", "--eta", "0.0003", "--out", last, "--save", "last"));
        Assert.Equal(11, lastRun.GetProperty("saved_epoch").GetInt32());

        // The same run stopped after the best epoch leaves the very same file; after epoch 11, the --save last one.
        Assert.Equal(File.ReadAllBytes(best), File.ReadAllBytes(Straight(dir, bestEpoch + 1)));
        Assert.Equal(File.ReadAllBytes(last), File.ReadAllBytes(Straight(dir, 12)));
        string Straight(TempDirectory d, int epochs)
        {
            string path = d.File($"straight-{epochs}.safetensors");
            Succeeds(Wine(epochs, "--split", "0.6,0.2,0.2", "--eta", "0.0003", "--out", path, "--save", "last"));
            return path;
        }

        // The prose says which was saved, and evaluate on the table agrees with what the run reported for the test rows.
        var prose = Succeeds(Wine(12, "--split", "0.6,0.2,0.2", "--eta", "0.0003", "--out", best));
        Assert.Contains($"Best: epoch {bestEpoch}, ", prose.Stdout);
        Assert.Contains($"Test, of the best network (epoch {bestEpoch}): ", prose.Stdout);
        Assert.Contains(bestEpoch == 11 ? "Saved the network of epoch 11, the best and the last" : $"Saved the best network, of epoch {bestEpoch} (", prose.Stdout);

        var refused = CliProcess.Run(Wine(0, "--save", "best", "--out", best));
        Assert.Equal(ExitCodes.InvalidArguments, refused.ExitCode);
        Assert.Contains("--save best: with --epochs 0 no epoch is evaluated", refused.Stderr);
    }

    [Fact]
    public void Early_stopping_on_a_regression_stops_on_the_validation_error_and_keeps_the_best_network()
    {
        var run = Json("train", "--data", Table("diabetes.csv"), "--target", "progression", "--split", "0.7,0.15,0.15", "--epochs", "400", "--early-stopping", "5");
        Assert.Equal("early-stopping", run.GetProperty("stop_reason").GetString());
        int best = run.GetProperty("best_epoch").GetInt32();
        var epochs = run.GetProperty("epochs").EnumerateArray().ToList();
        Assert.Equal(best + 6, epochs.Count); // five epochs without improvement after the best
        Assert.Equal(best, run.GetProperty("saved_epoch").GetInt32());
        Assert.True(run.GetProperty("restored_best").GetBoolean());
        // The best is the epoch of the least validation error (the cost less the weight penalty, which only falls as weights shrink):
        // its MSE is the least of all epochs (the MSE is in the targets' units, the same ordering as the cost of the errors).
        double bestMse = epochs[best].GetProperty("evaluation_mse").GetDouble();
        Assert.All(epochs, e => Assert.True(e.GetProperty("evaluation_mse").GetDouble() >= bestMse - 1e-9 * bestMse));
        Assert.Equal(epochs[best].GetProperty("evaluation_r2").GetDouble(), run.GetProperty("saved_score").GetDouble());
    }

    [Fact]
    public void Plot_draws_accuracy_or_r_squared_per_epoch()
    {
        using var dir = new TempDirectory();
        var classes = Succeeds(Wine(3, "--plot", dir.File("wine.png")));
        Assert.Contains($"Plot: {dir.File("wine.png")}", classes.Stdout);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(dir.File("wine.png"))[..4]);

        Succeeds("train", "--data", Table("diabetes.csv"), "--target", "progression", "--epochs", "3", "--validation", "--plot", dir.File("diabetes.svg"));
        string svg = File.ReadAllText(dir.File("diabetes.svg"));
        Assert.Contains("validation R²", svg);
        Assert.DoesNotContain("accuracy", svg);

        var refused = CliProcess.Run(Wine(3, "--plot", dir.File("wine.gif")));
        Assert.Equal(ExitCodes.InvalidArguments, refused.ExitCode);
        Assert.Contains("--plot: ", refused.Stderr);
    }

    [Fact]
    public void A_checkpointed_table_run_resumes_bit_exact_and_its_checkpoint_predicts_like_a_model_file()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("ck");
        string[] Run(int epochs, string ck, string output) => Wine(epochs, "--validation", "--checkpoint", ck, "--out", output, "--plot", dir.File($"{Path.GetFileName(ck)}.svg"));
        Succeeds(Run(3, checkpoint, dir.File("three.safetensors")));

        var settings = Checkpoint.ReadState(checkpoint).Settings;
        Assert.Equal("cultivar", settings["--target"]);
        Assert.Equal(Path.GetFullPath(Table("wine.csv")), settings["--data"]);
        Assert.Equal("", settings["--validation"]);

        // Its model file carries the preprocessing: predict and evaluate take it as they take --out's.
        var predict = Succeeds("predict", "--model", Path.Combine(checkpoint, Checkpoint.ModelFileName), "--input", Table("wine.csv"));
        Assert.StartsWith("cultivar,p(", predict.Stdout);
        Assert.Equal(File.ReadAllText(Table("wine.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length,
                     predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var resumed = Succeeds("train", "--resume", checkpoint, "--epochs", "6", "--out", dir.File("six.safetensors"));
        Succeeds(Run(6, dir.File("straight"), dir.File("straight.safetensors")));
        Assert.Contains("Resumed from", resumed.Stdout);
        Assert.DoesNotContain("Epoch 2:", resumed.Stdout);
        Assert.Contains("Epoch 5:", resumed.Stdout);
        Assert.Equal(File.ReadAllBytes(dir.File("straight.safetensors")), File.ReadAllBytes(dir.File("six.safetensors")));
        Assert.Equal(File.ReadAllText(dir.File("straight.svg")), File.ReadAllText(dir.File("ck.svg"))); // every epoch plotted

        // Other rows would meet weights learnt on rows scaled otherwise: refused, saying why.
        var other = CliProcess.Run("train", "--resume", checkpoint, "--epochs", "7", "--features", "alcohol,hue");
        Assert.Equal(ExitCodes.InvalidArguments, other.ExitCode);
        Assert.Contains("--resume: the preprocessing learnt from --data now differs from the one in its checkpoint", other.Stderr);
        var fewer = CliProcess.Run("train", "--resume", checkpoint, "--epochs", "7", "--train-size", "50");
        Assert.Equal(ExitCodes.InvalidArguments, fewer.ExitCode);
        Assert.Single(fewer.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Ctrl_C_checkpoints_a_table_run_and_the_resume_line_finishes_it_as_if_never_stopped()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("run"), output = dir.File("m.safetensors");
        string[] Run(int epochs, string ck, string o) =>
            ["train", "--data", Table("digits.csv"), "--target", "digit", "--epochs", epochs.ToString(), "--checkpoint", ck, "--out", o, "--json"];
        int epochs = 300;
        string stderr = "";
        for (int attempt = 0; ; attempt++, epochs *= 4)
        {
            var process = CliProcess.Start(Run(epochs, checkpoint, output));
            string? line;
            while ((line = process.StandardError.ReadLine()) is not null && !line.StartsWith("Epoch 2:")) { }
            Assert.NotNull(line);
            using (var kill = Process.Start("kill", [$"-{CliProcess.CtrlC}", process.Id.ToString()])) kill.WaitForExit();
            var result = CliProcess.Finish(process);
            if (result.ExitCode == 0 && attempt < 2)
            {
                Directory.Delete(checkpoint, recursive: true);
                File.Delete(output);
                continue; // the run ended before the signal landed (a busy machine): try a longer one
            }
            Assert.Equal(ExitCodes.Interrupted, result.ExitCode);
            stderr = result.Stderr;
            break;
        }
        Assert.False(File.Exists(output));
        string resumeLine = stderr.Split('\n').Single(l => l.Contains("Resume with: nabla "));
        var resumed = CliProcess.Run(resumeLine[(resumeLine.IndexOf("Resume with: nabla ") + "Resume with: nabla ".Length)..].Trim().Split(' '));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Succeeds(Run(epochs, dir.File("straight"), dir.File("straight.safetensors")));
        Assert.Equal(File.ReadAllBytes(dir.File("straight.safetensors")), File.ReadAllBytes(output));
    }

    [Fact]
    public void Train_size_trains_and_learns_the_preprocessing_on_the_first_rows_of_the_training_part()
    {
        var run = Json(Wine(2, "--train-size", "40"));
        Assert.Equal(40, run.GetProperty("data").GetProperty("training").GetInt32());
        Assert.Equal(36, run.GetProperty("test").GetProperty("rows").GetInt32()); // the test rows stay those of the whole split
        var prose = Succeeds(Wine(1, "--train-size", "40"));
        Assert.Contains("40 training (the first of 142, --train-size)", prose.Stdout);

        var refused = CliProcess.Run(Wine(1, "--train-size", "0"));
        Assert.Equal(ExitCodes.InvalidArguments, refused.ExitCode);
        Assert.Contains("--train-size: must be at least 1", refused.Stderr);
    }

    [Fact]
    public void Diagnostics_measure_each_layer_after_each_epoch()
    {
        var run = Json(Wine(2, "--diagnostics"));
        foreach (var epoch in run.GetProperty("epochs").EnumerateArray())
        {
            var layers = epoch.GetProperty("diagnostics").GetProperty("layers");
            Assert.Equal(2, layers.GetArrayLength());
            Assert.True(layers[1].GetProperty("weight_gradient_norm").GetDouble() > 0);
        }
        Assert.Contains("Diagnostics on 142 training examples", Succeeds(Wine(1, "--diagnostics")).Stdout);
    }

    [Fact]
    public void The_idx_reader_cap_is_refused_on_a_table_in_one_line()
    {
        var result = CliProcess.Run(Wine(1, "--max-idx-size", "1M"));
        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        Assert.Equal("nabla: error: --max-idx-size: caps IDX image files, not tables (a table's records are capped by --max-record-length)", result.Stderr.Trim());
    }
}
