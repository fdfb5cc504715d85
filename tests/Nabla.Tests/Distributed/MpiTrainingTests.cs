using System.Diagnostics;
using System.Text.Json;
using Nabla.Cli;
using Nabla.Tests.Cli;

namespace Nabla.Tests.Distributed;

/// <summary>
/// `mpirun -np 2 nabla train`, end to end, as CI runs it (Open MPI over shared memory): two processes with mini-batch m take
/// the steps of one process with mini-batch 2m, every recipe, float32 and float64; a job is reproducible bit for bit; a
/// process killed mid-run ends the job, and process 0's last checkpoint finishes the run as if it had not stopped.
/// </summary>
public class MpiTrainingTests
{
    // 2,005 examples: the last global mini-batch (5) splits 2 / 3 between the processes.
    private static string[] Train(string output, string precision, string recipe, int batch, int epochs = 1) =>
        ["train", "--data", TestFiles.SampleDirectory, "--train-size", "2005", "--epochs", epochs.ToString(), "--batch", batch.ToString(),
         "--threads", "1", "--precision", precision, "--out", output, .. recipe.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    private static void Succeeded(CliProcess.Result result) => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");

    /// <summary>The largest difference of a tensor between the two networks, relative to that tensor's largest entry.</summary>
    private static double RelativeDifference<T>(string a, string b) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = ModelFile.Load<T>(a).Network;
        var y = ModelFile.Load<T>(b).Network;
        double worst = 0;
        for (int l = 1; l <= x.L; l++)
            foreach (var (p, q) in new[] { (x.Weights[l].Data, y.Weights[l].Data), (x.Biases[l], y.Biases[l]) })
            {
                double largest = p.Max(v => Math.Abs(double.CreateChecked(v)));
                double difference = p.Zip(q, (u, v) => Math.Abs(double.CreateChecked(u) - double.CreateChecked(v))).Max();
                worst = Math.Max(worst, difference / largest);
            }
        return worst;
    }

    [MpiTheory]
    [InlineData("float64", "--optimizer sgd --regularization l2 --lambda 5", 1e-12)]
    [InlineData("float64", "--optimizer adam --eta 0.001 --activation relu,softmax --cost log-likelihood --dropout 0.3", 1e-12)]
    [InlineData("float32", "--optimizer momentum --momentum 0.9 --eta 0.5 --regularization l1 --lambda 5 --dropout 0.2", 1e-5)]
    [InlineData("float32", "--optimizer sgd", 1e-5)]
    public void Two_processes_with_mini_batch_m_take_the_steps_of_one_process_with_mini_batch_2m(string precision, string recipe, double tolerance)
    {
        using var dir = new TempDirectory();
        var distributed = MpiProcess.Run(2, Train(dir.File("two.safetensors"), precision, recipe, batch: 10));
        var alone = CliProcess.Run(Train(dir.File("one.safetensors"), precision, recipe, batch: 20));
        Succeeded(distributed);
        Succeeded(alone);
        Assert.Contains("Distributed: 2 processes (Open MPI)", distributed.Stdout);
        Assert.Single(distributed.Stdout.Split('\n'), line => line.StartsWith("Epoch 0:")); // process 0 alone prints
        double difference = precision == "float64"
            ? RelativeDifference<double>(dir.File("one.safetensors"), dir.File("two.safetensors"))
            : RelativeDifference<float>(dir.File("one.safetensors"), dir.File("two.safetensors"));
        Assert.True(difference <= tolerance, $"{precision} {recipe}: two processes are {difference:E2} apart from one (tolerance {tolerance:E0})");
        // The same test figures, from the same weights up to rounding: the evaluation is process 0's.
        Assert.Equal(EpochLine(alone.Stdout), EpochLine(distributed.Stdout));
    }

    private static string EpochLine(string stdout) => stdout.Split('\n').Single(l => l.StartsWith("Epoch 0:")).Split(", η")[0];

    [MpiFact]
    public void Two_runs_with_the_same_number_of_processes_are_identical_bit_for_bit()
    {
        using var dir = new TempDirectory();
        const string recipe = "--optimizer adam --eta 0.001 --dropout 0.3 --regularization l2 --lambda 1";
        var first = MpiProcess.Run(2, Train(dir.File("first.safetensors"), "float32", recipe, batch: 10, epochs: 2));
        var second = MpiProcess.Run(2, Train(dir.File("second.safetensors"), "float32", recipe, batch: 10, epochs: 2));
        Succeeded(first);
        Succeeded(second);
        Assert.Equal(File.ReadAllBytes(dir.File("first.safetensors")), File.ReadAllBytes(dir.File("second.safetensors")));
    }

    [MpiFact]
    public void A_process_killed_mid_run_ends_the_job_and_process_0s_last_checkpoint_finishes_the_run_as_if_never_stopped()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("run");
        string[] Job(string output, int epochs, string folder) =>
            ["train", "--data", TestFiles.SampleDirectory, "--epochs", epochs.ToString(), "--batch", "10", "--threads", "1",
             "--dropout", "0.2", "--optimizer", "momentum", "--eta", "0.5", "--checkpoint", folder, "--out", output];

        // 8,334 examples an epoch and a checkpoint after each: the job is still far from its end when the test has read its second epoch.
        using (var job = MpiProcess.Start(2, Job(dir.File("never-written.safetensors"), 1000, checkpoint)))
        try
        {
            var stderr = job.StandardError.ReadToEndAsync();
            string? line;
            while ((line = job.StandardOutput.ReadLine()) is not null && !line.StartsWith("Epoch 1:")) { }
            if (line is null) Assert.Fail("the job ended before its second epoch: " + stderr.Result); // (stderr ends only with the job)
            var ranks = MpiProcess.Ranks(job);
            Assert.True(ranks.ContainsKey(1), $"rank 1 not found among mpirun's children ({string.Join(", ", ranks)}); mpirun has exited: {job.HasExited}");
            var clock = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-KILL", ranks[1].ToString()])) kill.WaitForExit();
            // mpirun notices the lost process and ends the job: no process waits forever in the next all-reduce.
            Assert.True(job.WaitForExit(TimeSpan.FromSeconds(60)), "the job still runs a minute after one of its processes was killed");
            _ = job.StandardOutput.ReadToEnd();
            Assert.NotEqual(0, job.ExitCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!job.HasExited) job.Kill(entireProcessTree: true); // a failed test leaves no job behind
        }
        Assert.False(File.Exists(dir.File("never-written.safetensors")));
        // The line of epoch 1 is printed before its checkpoint is written: the last checkpoint is of epoch 0 or a later one.
        int epoch = Checkpoint.ReadState(checkpoint).Epoch;
        Assert.InRange(epoch, 1, 999);

        // The checkpoint fixes the number of processes (it fixes the global mini-batch): one process is refused, saying how to resume.
        var alone = CliProcess.Run("train", "--resume", checkpoint);
        Assert.Equal(ExitCodes.InvalidArguments, alone.ExitCode);
        Assert.Contains("mpirun -np 2 nabla train", alone.Stderr);

        int epochs = epoch + 2;
        var resumed = MpiProcess.Run(2, "train", "--resume", checkpoint, "--epochs", epochs.ToString(), "--out", dir.File("resumed.safetensors"));
        Succeeded(resumed);
        Assert.Contains($"Resumed from {checkpoint}", resumed.Stdout);
        var straight = MpiProcess.Run(2, Job(dir.File("straight.safetensors"), epochs, dir.File("straight-run")));
        Succeeded(straight);
        Assert.Equal(File.ReadAllBytes(dir.File("straight.safetensors")), File.ReadAllBytes(dir.File("resumed.safetensors")));
    }

    [MpiFact]
    public void A_signal_to_one_process_stops_every_process_after_the_same_step_and_process_0_writes_the_checkpoint_that_resumes()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("run");
        using var job = MpiProcess.Start(2, ["train", "--data", TestFiles.SampleDirectory, "--epochs", "1000", "--threads", "1", "--dropout", "0.2", "--checkpoint", checkpoint]);
        string stderr;
        try
        {
            var errors = job.StandardError.ReadToEndAsync();
            string? line;
            while ((line = job.StandardOutput.ReadLine()) is not null && !line.StartsWith("Epoch 1:")) { }
            if (line is null) Assert.Fail("the job ended before its second epoch: " + errors.Result);
            // SIGTERM to rank 1 alone (as `kill` or a batch system would send it): rank 0 learns of it within the next step.
            using (var terminate = Process.Start("kill", ["-TERM", MpiProcess.Ranks(job)[1].ToString()])) terminate.WaitForExit();
            Assert.True(job.WaitForExit(TimeSpan.FromSeconds(60)), "the job still runs a minute after the signal");
            _ = job.StandardOutput.ReadToEnd();
            stderr = errors.Result;
        }
        finally
        {
            if (!job.HasExited) job.Kill(entireProcessTree: true);
        }
        Assert.Equal(ExitCodes.Interrupted, job.ExitCode);
        // Process 0 alone writes the checkpoint and says how to resume.
        Assert.Single(stderr.Split('\n'), l => l.Contains($"checkpoint written to {checkpoint}. Resume with: mpirun -np 2 nabla train --resume {checkpoint}"));
        var state = Checkpoint.ReadState(checkpoint);
        Assert.InRange(state.Epoch, 2, 999);
        var resumed = MpiProcess.Run(2, "train", "--resume", checkpoint, "--epochs", (state.Epoch + 1).ToString());
        Succeeded(resumed);
        Assert.Contains($"Resumed from {checkpoint}", resumed.Stdout);
        Assert.Contains($"Epoch {state.Epoch}: ", resumed.Stdout);
    }

    [MpiFact]
    public void A_process_that_fails_alone_ends_the_job_with_its_error_and_exit_code()
    {
        // Rank 1 is given data that is not there (a path its node lacks); rank 0 reads its data and waits for rank 1 in the
        // first collective: the failing process must end the job, not leave it waiting.
        string[] Args(string data) => ["train", "--data", data, "--epochs", "3", "--threads", "1"];
        using var job = MpiProcess.Start([(1, Args(TestFiles.SampleDirectory)), (1, Args("/nonexistent/fashion-mnist"))]);
        try
        {
            var stdout = job.StandardOutput.ReadToEndAsync();
            var stderr = job.StandardError.ReadToEndAsync();
            Assert.True(job.WaitForExit(TimeSpan.FromSeconds(60)), "the job still runs a minute after one process failed");
            Assert.Equal(ExitCodes.InvalidInput, job.ExitCode);
            Assert.Contains("nabla: rank 1: error: data directory /nonexistent/fashion-mnist does not exist", stderr.Result);
            Assert.DoesNotContain("Epoch 0:", stdout.Result);
        }
        finally
        {
            if (!job.HasExited) job.Kill(entireProcessTree: true);
        }
    }

    [MpiFact]
    public void Processes_that_read_different_data_stop_before_training_saying_so()
    {
        using var dir = new TempDirectory();
        // A copy of the sample with one test file missing would not do: the training examples must differ. Copy it and change one label.
        foreach (var file in Directory.GetFiles(TestFiles.SampleDirectory)) File.Copy(file, dir.File(Path.GetFileName(file)));
        string labels = Directory.GetFiles(dir.Path, "train-labels*").Single();
        byte[] bytes = labels.EndsWith(".gz") ? TestFiles.Gunzip(labels) : File.ReadAllBytes(labels);
        bytes[8] = (byte)((bytes[8] + 1) % 10); // the first training label
        File.WriteAllBytes(labels, labels.EndsWith(".gz") ? TestFiles.Gzip(bytes) : bytes);
        string[] Args(string data) => ["train", "--data", data, "--epochs", "3", "--threads", "1"];
        using var job = MpiProcess.Start([(1, Args(TestFiles.SampleDirectory)), (1, Args(dir.Path))]);
        var result = CliProcess.Finish(job);
        Assert.Equal(ExitCodes.InvalidArguments, result.ExitCode);
        Assert.Contains("the 2 processes of the distributed run disagree on the training data", result.Stderr);
        Assert.DoesNotContain("Epoch 0:", result.Stdout);
    }

    [MpiFact]
    public void Bench_distributed_splits_a_step_into_compute_wait_and_all_reduce()
    {
        var result = MpiProcess.Run(2, "bench", "--distributed", "--data", TestFiles.SampleDirectory, "--epochs", "1", "--threads", "1", "--batch", "50", "--json");
        Succeeded(result);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("processes").GetInt32());
        Assert.Equal(100, root.GetProperty("global_batch").GetInt32());
        Assert.Equal(4 * (784 * 30 + 30 + 30 * 10 + 10 + 1), root.GetProperty("all_reduce_bytes").GetInt64());
        double compute = root.GetProperty("compute_seconds_per_step").GetDouble(), reduce = root.GetProperty("all_reduce_seconds_per_step").GetDouble();
        double wait = root.GetProperty("wait_seconds_per_step").GetDouble();
        Assert.True(compute > 0 && reduce > 0 && wait >= 0, result.Stdout);
        Assert.Equal(84, root.GetProperty("steps").GetInt32()); // 8,334 training examples in global mini-batches of 100: one all-reduce a step
        Assert.InRange(root.GetProperty("scaling_efficiency").GetDouble(), 0.0, 1.0);
    }

    [MpiFact]
    public void A_distributed_run_maps_libmpi_which_is_how_the_single_machine_test_would_see_it()
    {
        // The control of SingleMachineTests: the same look at /proc/PID/maps finds Open MPI when it is loaded.
        Assert.Contains(SingleMachineTests.MappedLibraries("--distributed", "mpi"), path => path.Contains("libmpi.so"));
    }
}
