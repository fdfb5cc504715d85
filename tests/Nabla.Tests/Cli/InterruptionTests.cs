using System.Diagnostics;
using System.Text.Json;
using Nabla.Cli;
using static Nabla.Tests.Cli.CliProcess;

namespace Nabla.Tests.Cli;

/// <summary>
/// Stopping `nabla train` from outside, end to end: Ctrl-C (SIGINT) finishes the mini-batch, writes a checkpoint and
/// exits with 130, and the resumed run ends with the same weights as one never stopped; kill -9 at any moment
/// leaves a checkpoint that loads.
/// </summary>
public class InterruptionTests
{
    // Small enough to be quick, long enough (30 short epochs, a checkpoint after each) to be caught in the middle even on a busy machine.
    private static string[] Train(string checkpoint, string output) =>
        ["train", "--data", TestFiles.SampleDirectory, "--train-size", "4000", "--epochs", "30", "--checkpoint", checkpoint, "--out", output];

    private static (int ExitCode, string Stderr) Finish(Process process)
    {
        var result = CliProcess.Finish(process);
        return (result.ExitCode, result.Stderr);
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString()]);
        kill.WaitForExit();
    }

    [Fact]
    public void Ctrl_C_writes_a_checkpoint_exits_130_and_the_printed_resume_line_alone_finishes_the_run_as_if_never_stopped()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("run"), output = dir.File("model.safetensors"), plot = dir.File("curves.png");
        string[] Run(int epochs, string checkpointFolder, string outputFile, string plotFile) =>
            ["train", "--data", TestFiles.SampleDirectory, "--train-size", "4000", "--epochs", epochs.ToString(), "--checkpoint", checkpointFolder,
             "--out", outputFile, "--plot", plotFile, "--json"];

        // On a busy machine the run may end before the signal lands; then the attempt proves nothing, and a longer run is tried.
        int epochs = 30;
        string stderr = "";
        for (int attempt = 0; ; attempt++, epochs *= 4)
        {
            var process = Start(Run(epochs, checkpoint, output, plot));
            string? line;
            while ((line = process.StandardError.ReadLine()) is not null && !line.StartsWith("Epoch 2")) { } // with --json, epoch lines go to stderr
            Assert.NotNull(line);
            Signal(process, CliProcess.CtrlC);
            var result = CliProcess.Finish(process);
            if (result.ExitCode == 0 && attempt < 2)
            {
                Directory.Delete(checkpoint, recursive: true);
                File.Delete(output);
                continue;
            }
            Assert.Equal(ExitCodes.Interrupted, result.ExitCode);
            using var interrupted = JsonDocument.Parse(result.Stdout);
            Assert.Equal($"nabla train --resume {checkpoint} --json", interrupted.RootElement.GetProperty("resume").GetString());
            stderr = result.Stderr;
            break;
        }
        Assert.False(File.Exists(output)); // --out is written only by a run that finishes
        Assert.InRange(Checkpoint.ReadState(checkpoint).Epoch, 3, epochs - 1);
        // The line it prints carries nothing but the folder (and --json, how this run printed): the checkpoint holds the rest.
        Assert.Contains($"checkpoint written to {checkpoint}. Resume with: nabla train --resume {checkpoint} --json", stderr);
        string resumeLine = stderr.Split('\n').Single(l => l.Contains("Resume with: nabla "));
        string[] resumeArguments = resumeLine[(resumeLine.IndexOf("Resume with: nabla ") + "Resume with: nabla ".Length)..].Trim().Split(' ');

        var resumed = CliProcess.Run(resumeArguments);
        var straight = CliProcess.Run(Run(epochs, dir.File("straight-run"), dir.File("straight.safetensors"), dir.File("straight.png")));

        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(0, straight.ExitCode);
        Assert.Equal(File.ReadAllBytes(dir.File("straight.safetensors")), File.ReadAllBytes(output)); // --out written, the same weights bit for bit
        Assert.Equal(File.ReadAllBytes(dir.File("straight.png")), File.ReadAllBytes(plot));               // every epoch plotted, not only the resumed ones
        using var a = JsonDocument.Parse(straight.Stdout);
        using var b = JsonDocument.Parse(resumed.Stdout);
        string Epochs(JsonDocument d) => string.Join(";", d.RootElement.GetProperty("epochs").EnumerateArray()
            .Select(e => $"{e.GetProperty("epoch")}:{e.GetProperty("test_correct")}:{e.GetProperty("test_cost")}"));
        Assert.Equal(epochs, b.RootElement.GetProperty("epochs").GetArrayLength());
        Assert.Equal(Epochs(a), Epochs(b));
        foreach (var key in new[] { "best_epoch", "best_accuracy", "save", "saved_epoch", "saved_accuracy", "stop_reason" })
            Assert.Equal(a.RootElement.GetProperty(key).ToString(), b.RootElement.GetProperty(key).ToString());
        Assert.Equal(output, b.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public void Kill_9_at_random_moments_always_leaves_a_checkpoint_that_loads_and_resumes()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("run");
        var random = new Random(7);
        for (int attempt = 0; attempt < 6; attempt++)
        {
            var process = Start(Train(checkpoint, dir.File("model.safetensors")));
            // Wait until training is under way and the first checkpoint is there (on a busy machine it can come well after
            // the first epoch line), then a random moment more: the kill falls anywhere in the later epochs and their saves.
            while (process.StandardOutput.ReadLine() is string line && !line.StartsWith("Epoch")) { }
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(checkpoint, Checkpoint.StateFileName)) && !process.HasExited && waited.Elapsed < TimeSpan.FromSeconds(60))
                Thread.Sleep(5);
            Thread.Sleep(random.Next(0, 400));
            process.Kill(); // SIGKILL: no handler runs
            process.WaitForExit();

            if (!File.Exists(Path.Combine(checkpoint, Checkpoint.StateFileName))) continue; // killed before the first save: nothing to check
            var state = Checkpoint.ReadState(checkpoint);
            var model = ModelFile.Load<float>(Path.Combine(checkpoint, $"model.{state.Save}.safetensors"));
            Assert.Equal([784, 30, 10], model.Network.Sizes);
            SafeTensors.Read(Path.Combine(checkpoint, $"optimizer.{state.Save}.safetensors"));
            ModelFile.Load<float>(Path.Combine(checkpoint, Checkpoint.ModelFileName)); // the file `nabla evaluate` reads
        }
        Assert.True(File.Exists(Path.Combine(checkpoint, Checkpoint.StateFileName)), "no kill came after a checkpoint: the test proved nothing");
        var (code, stderr) = Finish(Start(["train", "--resume", checkpoint, "--data", TestFiles.SampleDirectory, "--out", dir.File("final.safetensors")]));
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public void A_diverging_run_exits_5_naming_the_epoch_and_mini_batch_and_leaves_the_earlier_files_alone()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("run"), output = dir.File("model.safetensors");
        // A good run first: its checkpoint and model file are what must survive.
        Assert.Equal(0, Finish(Start(["train", "--data", TestFiles.SampleDirectory, "--train-size", "500", "--epochs", "1",
            "--activation", "relu,identity", "--eta", "0.001", "--checkpoint", checkpoint, "--out", output])).ExitCode);
        byte[] model = File.ReadAllBytes(output), state = File.ReadAllBytes(Path.Combine(checkpoint, Checkpoint.StateFileName));

        var (code, stderr) = Finish(Start(["train", "--data", TestFiles.SampleDirectory, "--train-size", "500", "--epochs", "2",
            "--activation", "relu,identity", "--eta", "1000", "--checkpoint", checkpoint, "--out", output]));

        Assert.Equal(ExitCodes.Diverged, code);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^nabla: error: training diverged in epoch 0, mini-batch \d+: .*smaller.*--eta 1000.*the last good checkpoint in .* is intact$", line);
        Assert.Equal(model, File.ReadAllBytes(output));
        Assert.Equal(state, File.ReadAllBytes(Path.Combine(checkpoint, Checkpoint.StateFileName)));
    }
}
