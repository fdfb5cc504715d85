using System.Diagnostics;
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
    public void Ctrl_C_writes_a_checkpoint_exits_130_and_the_resumed_run_ends_where_an_uninterrupted_one_does()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("run"), interrupted = dir.File("resumed.safetensors"), straight = dir.File("straight.safetensors");
        Assert.Equal(0, Finish(Start(Train(dir.File("other"), straight))).ExitCode);

        var process = Start(Train(checkpoint, interrupted));
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("Epoch 2")) { }
        Assert.NotNull(line);
        Signal(process, "INT");
        var (code, stderr) = Finish(process);

        Assert.Equal(ExitCodes.Interrupted, code);
        Assert.Contains($"checkpoint written to {checkpoint}. Resume with: nabla train --resume {checkpoint}", stderr);
        Assert.False(File.Exists(interrupted)); // --out is written only by a run that finishes
        var state = Checkpoint.ReadState(checkpoint);
        Assert.InRange(state.Epoch, 3, 29);

        var (resumedCode, resumedStderr) = Finish(Start(["train", "--resume", checkpoint, "--data", TestFiles.SampleDirectory, "--out", interrupted]));
        Assert.True(resumedCode == 0, resumedStderr);
        Assert.Equal(File.ReadAllBytes(straight), File.ReadAllBytes(interrupted));
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
            // Wait until training is under way (the first epoch line), then a random moment more.
            while (process.StandardOutput.ReadLine() is string line && !line.StartsWith("Epoch")) { }
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
