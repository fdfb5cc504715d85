using System.Numerics;

namespace Nabla.Tests.Training;

public class CheckpointTests
{
    /// <summary>A run of <paramref name="epochs"/> epochs after its first, saved to <paramref name="folder"/>; and its training data.</summary>
    private static (TrainingRun<T> Run, Dataset Training) SavedAfterOneEpoch<T>(int epochs, TempDirectory folder) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var training = SyntheticData.Make(inputSize: 12, classes: 4, count: 40, seed: 1);
        var run = MakeRun<T>(epochs);
        run.RunEpoch(training, training);
        Checkpoint.Save(run, folder.Path);
        return (run, training);
    }

    private static TrainingRun<T> MakeRun<T>(int epochs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] sizes = [12, 8, 6, 4];
        var network = new Network<T>(sizes, [Activation.ReLU, Activation.Sigmoid, Activation.Softmax], Initialization.ScaledNormal, seed: 5);
        var sgd = new Sgd<T>(network, Cost.LogLikelihood, T.CreateChecked(0.01), miniBatchSize: 7, seed: 11)
        {
            Optimizer = Optimizer<T>.Adam(sizes),
            Regularization = Regularization.L2(0.5),
            DropoutProbability = 0.3,
        };
        return new TrainingRun<T>(sgd, new HalvingSchedule(0.01, patience: 1, maxHalvings: 20), epochs, new EarlyStopping(patience: 50));
    }

    private static void Resumed_training_equals_uninterrupted_training_bit_for_bit<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var training = SyntheticData.Make(inputSize: 12, classes: 4, count: 80, seed: 1);
        var validation = SyntheticData.Make(inputSize: 12, classes: 4, count: 30, seed: 2);

        var straight = MakeRun<T>(6);
        while (!straight.Finished) straight.RunEpoch(training, validation);

        using var folder = new TempDirectory();
        var first = MakeRun<T>(6);
        for (int i = 0; i < 3; i++) first.RunEpoch(training, validation);
        Checkpoint.Save(first, folder.Path);

        var resumed = MakeRun<T>(6); // a fresh process: same settings, state from the folder
        Checkpoint.Restore(resumed, folder.Path);
        Assert.Equal(3, resumed.Epoch);
        while (!resumed.Finished) resumed.RunEpoch(training, validation);

        for (int l = 1; l <= straight.Sgd.Network.L; l++)
        {
            Assert.Equal(straight.Sgd.Network.Weights[l].Data, resumed.Sgd.Network.Weights[l].Data);
            Assert.Equal(straight.Sgd.Network.Biases[l], resumed.Sgd.Network.Biases[l]);
        }
        Assert.Equal(straight.Schedule.Eta, resumed.Schedule.Eta);
        Assert.Equal(straight.BestEpoch, resumed.BestEpoch);
        Assert.Equal(straight.Best!.Weights[1].Data, resumed.Best!.Weights[1].Data);
        // The run must really have moved after the checkpoint, or the comparison proves little.
        Assert.NotEqual(first.Sgd.Network.Weights[1].Data, resumed.Sgd.Network.Weights[1].Data);
    }

    [Fact]
    public void Resumed_training_equals_uninterrupted_training_bit_for_bit_in_float64() => Resumed_training_equals_uninterrupted_training_bit_for_bit<double>();

    [Fact]
    public void Resumed_training_equals_uninterrupted_training_bit_for_bit_in_float32() => Resumed_training_equals_uninterrupted_training_bit_for_bit<float>();

    [Theory]
    [InlineData("schedule_state", "eta")]
    [InlineData("early_stopping_state", "best_epoch")]
    [InlineData("random", null)]
    public void A_checkpoint_with_a_state_value_missing_is_refused_naming_state_json_and_the_run_is_left_as_it_was(string field, string? key)
    {
        using var folder = new TempDirectory();
        SavedAfterOneEpoch<double>(4, folder);
        string statePath = folder.File("state.json");
        var state = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        if (key is null) state[field] = new System.Text.Json.Nodes.JsonArray("1", "2"); // two words of the generator's four
        else Assert.True(state[field]!.AsObject().Remove(key), $"{field} has no {key}: the test no longer damages anything");
        File.WriteAllText(statePath, state.ToJsonString());

        var fresh = MakeRun<double>(4);
        var before = fresh.Sgd.Network.Weights[1].Data.ToArray();
        var e = Assert.Throws<InvalidFileException>(() => Checkpoint.Restore(fresh, folder.Path));
        Assert.Contains("state.json", e.Message);
        Assert.Equal(before, fresh.Sgd.Network.Weights[1].Data);
        Assert.Equal(0, fresh.Epoch);
        Assert.Equal(0.01, fresh.Schedule.Eta);
        Assert.Null(fresh.Best);
    }

    [Fact]
    public void A_checkpoint_whose_files_belong_to_different_saves_is_refused()
    {
        using var folder = new TempDirectory();
        var (run, training) = SavedAfterOneEpoch<double>(4, folder);
        string olderModel = folder.File("old.safetensors");
        File.Copy(folder.File("model.1.safetensors"), olderModel);
        run.RunEpoch(training, training);
        Checkpoint.Save(run, folder.Path);
        File.Copy(olderModel, folder.File("model.2.safetensors"), overwrite: true); // a file from another save, by hand

        var e = Assert.Throws<InvalidFileException>(() => Checkpoint.Restore(MakeRun<double>(4), folder.Path));
        Assert.Contains("belongs to save 1", e.Message);
    }

    [Fact]
    public void A_save_cut_off_before_its_state_is_written_leaves_the_previous_checkpoint_whole()
    {
        using var folder = new TempDirectory();
        var (run, training) = SavedAfterOneEpoch<double>(4, folder);
        var saved = run.Sgd.Network.Clone();
        // What a process killed during the next save leaves: new tensor files (one of them cut short), no new state.json.
        run.RunEpoch(training, training);
        ModelFile.Save(run.Sgd.Network, run.Sgd.Cost, folder.File("model.2.safetensors"));
        File.WriteAllBytes(folder.File("optimizer.2.safetensors"), [1, 2, 3]);

        var restored = MakeRun<double>(4);
        Checkpoint.Restore(restored, folder.Path);
        Assert.Equal(1, restored.Epoch);
        Assert.Equal(saved.Weights[1].Data, restored.Sgd.Network.Weights[1].Data);

        // The next save cleans up what the cut-off one left.
        restored.RunEpoch(training, training);
        Checkpoint.Save(restored, folder.Path);
        Assert.Equal(["best.2.safetensors", "model.2.safetensors", "model.safetensors", "optimizer.2.safetensors", "state.json"],
            Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_epoch_interrupted_between_mini_batches_resumes_at_the_next_one_bit_for_bit()
    {
        var training = SyntheticData.Make(inputSize: 12, classes: 4, count: 200, seed: 1);
        var validation = SyntheticData.Make(inputSize: 12, classes: 4, count: 30, seed: 2);
        var straight = MakeRun<float>(3);
        while (!straight.Finished) straight.RunEpoch(training, validation);

        using var folder = new TempDirectory();
        var first = MakeRun<float>(3);
        first.RunEpoch(training, validation);
        using var stop = new CancellationTokenSource();
        // Ask to stop part-way through epoch 1; the mini-batch under way finishes first.
        Assert.Throws<OperationCanceledException>(() =>
            first.RunEpoch(training, validation, onProgress: done => { if (done >= 90) stop.Cancel(); }, cancellation: stop.Token));
        Assert.Equal(1, first.Epoch);
        Assert.InRange(first.Sgd.Position, 90, 199);
        Assert.Equal(0, first.Sgd.Position % first.Sgd.MiniBatchSize);
        Checkpoint.Save(first, folder.Path);

        var resumed = MakeRun<float>(3);
        Checkpoint.Restore(resumed, folder.Path);
        Assert.Equal(first.Sgd.Position, resumed.Sgd.Position);
        while (!resumed.Finished) resumed.RunEpoch(training, validation);

        for (int l = 1; l <= straight.Sgd.Network.L; l++)
            Assert.Equal(straight.Sgd.Network.Weights[l].Data, resumed.Sgd.Network.Weights[l].Data);
    }

    [Fact]
    public void A_checkpoint_of_another_optimiser_is_refused_with_a_clear_message()
    {
        using var folder = new TempDirectory();
        var (run, training) = SavedAfterOneEpoch<double>(2, folder);
        var other = MakeRun<double>(2);
        other.Sgd.Optimizer = Optimizer<double>.Sgd();
        var e = Assert.Throws<InvalidFileException>(() => Checkpoint.Restore(other, folder.Path));
        Assert.Contains("adam", e.Message);
    }

    [Fact]
    public void The_checkpoints_model_file_loads_as_a_model()
    {
        using var folder = new TempDirectory();
        var (run, training) = SavedAfterOneEpoch<float>(2, folder);
        var loaded = ModelFile.Load<float>(folder.File(Checkpoint.ModelFileName));
        Assert.Equal(run.Sgd.Network.Weights[2].Data, loaded.Network.Weights[2].Data);
        Assert.Same(Cost.LogLikelihood, loaded.Cost);
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp")); // atomic writes leave no temporary files
    }

    [Fact]
    public void Early_stopping_restores_the_best_network()
    {
        var training = SyntheticData.Make(inputSize: 12, classes: 4, count: 80, seed: 1);
        var validation = SyntheticData.Make(inputSize: 12, classes: 4, count: 30, seed: 2);
        var run = MakeRun<double>(8);
        while (!run.Finished) run.RunEpoch(training, validation);
        run.RestoreBest();
        var e = run.Sgd.Evaluate(validation);
        Assert.Equal(run.BestAccuracy, e.Accuracy);
        Assert.Equal(run.Best!.Weights[1].Data, run.Sgd.Network.Weights[1].Data);
    }
}
