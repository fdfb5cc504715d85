using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nabla;

/// <summary>
/// Checkpoints of a <see cref="TrainingRun{T}"/>: everything that the next epoch depends on, so that a
/// resumed run gives the same weights, bit for bit, as one that never stopped. A checkpoint folder holds
/// <c>state.json</c> (epoch, position in it, schedule, early stopping, the generator's state, the shuffle
/// order, and the caller's settings) and the tensors it names: the network, the best network so far and
/// the optimiser's buffers, in files tagged with a save number (<c>model.3.safetensors</c>, ...). Every file
/// is written atomically, and state.json only after the files it names, which stay until a newer
/// state.json names others: a process killed at any moment leaves a complete checkpoint, the newest
/// finished one. <c>model.safetensors</c>, a model file <c>nabla evaluate</c> reads, is refreshed just before state.json.
/// </summary>
public static class Checkpoint
{
    /// <summary>The network as a model file <c>nabla evaluate</c> reads; also the stem of the tagged copies (<c>model.3.safetensors</c>).</summary>
    public const string ModelFileName = "model.safetensors";
    /// <summary>Stem of the tagged files holding the best network so far (<see cref="TrainingRun{T}.Best"/>).</summary>
    public const string BestFileName = "best.safetensors";
    /// <summary>Stem of the tagged files holding the optimiser's buffers (velocities, Adam's moments).</summary>
    public const string OptimizerFileName = "optimizer.safetensors";
    /// <summary>The state file, written last: the checkpoint is the save it names.</summary>
    public const string StateFileName = "state.json";

    /// <summary>What state.json holds.</summary>
    public sealed class State
    {
        /// <summary>The next epoch to run (0-based), i.e. the epochs done (<see cref="TrainingRun{T}.Epoch"/>).</summary>
        public int Epoch { get; set; }
        /// <summary>Where the epoch stands (<see cref="Sgd{T}.Position"/>): 0 at an epoch's end, else the next example of an interrupted epoch.</summary>
        public int Position { get; set; }
        /// <summary>The tag of the tensor files this state belongs to.</summary>
        public long Save { get; set; }
        /// <summary>The element type of the tensors, as a safetensors dtype: <c>F32</c> or <c>F64</c>; a run of the other precision refuses it.</summary>
        public string Precision { get; set; } = "";
        /// <summary>The optimiser's <see cref="Optimizer{T}.Name"/>; a run with another optimiser refuses the checkpoint.</summary>
        public string Optimizer { get; set; } = "";
        /// <summary>The optimiser's step count t (Adam's bias corrections depend on it).</summary>
        public long OptimizerSteps { get; set; }
        /// <summary>The schedule's <see cref="LearningRateSchedule.Name"/>; a run with another schedule refuses the checkpoint.</summary>
        public string Schedule { get; set; } = "";
        /// <summary>What <see cref="LearningRateSchedule.SaveState"/> gave (η, and the halving schedule's counters).</summary>
        public Dictionary<string, double> ScheduleState { get; set; } = [];
        /// <summary>What <see cref="EarlyStopping.SaveState"/> gave; null when the run has no early stopping.</summary>
        public Dictionary<string, double>? EarlyStoppingState { get; set; }
        /// <summary>The epoch of the best network (<see cref="TrainingRun{T}.BestEpoch"/>); −1 before any evaluation.</summary>
        public int BestEpoch { get; set; }
        /// <summary>Its score (<see cref="TrainingRun{T}.BestAccuracy"/>).</summary>
        public double BestAccuracy { get; set; }
        /// <summary>xoshiro256** state words, as decimal strings (JSON numbers lose 64-bit precision in many readers).</summary>
        public string[] Random { get; set; } = [];
        /// <summary>The training examples' order after the last shuffle (<see cref="Sgd{T}.Order"/>).</summary>
        public int[] Order { get; set; } = [];
        /// <summary>The epoch's key of the image expansion (<see cref="Sgd{T}.ExpansionKey"/>), as a decimal string; null when the run expands no data.</summary>
        public string? ExpansionKey { get; set; }
        /// <summary>The caller's settings (e.g. the command line's), to start the resumed run the same way.</summary>
        public Dictionary<string, string> Settings { get; set; } = [];
        /// <summary>The caller's record of the run so far (e.g. each epoch's figures, for its report and plot), returned as saved.</summary>
        public JsonElement? Record { get; set; }
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// Writes the run's checkpoint into <paramref name="directory"/> (created if missing), with the caller's
    /// <paramref name="settings"/> and <paramref name="record"/> of the run so far (see <see cref="State"/>).
    /// <paramref name="modelMetadata"/> goes into every model file of the checkpoint (a table's preprocessing, say, so
    /// that its model.safetensors predicts as the final model file would).
    /// </summary>
    public static void Save<T>(TrainingRun<T> run, string directory, IReadOnlyDictionary<string, string>? settings = null, JsonElement? record = null,
        IReadOnlyDictionary<string, string>? modelMetadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Directory.CreateDirectory(directory);
        long previous = File.Exists(Path.Combine(directory, StateFileName)) ? ReadState(directory).Save : 0;
        long save = previous + 1;
        var sgd = run.Sgd;
        var tag = new Dictionary<string, string>
        {
            ["epoch"] = run.Epoch.ToString(CultureInfo.InvariantCulture),
            ["save"] = save.ToString(CultureInfo.InvariantCulture),
        };
        var modelTag = new Dictionary<string, string>(modelMetadata ?? new Dictionary<string, string>());
        foreach (var (key, value) in tag) modelTag[key] = value; // the save number the loader checks wins
        // 1. The tensors, in new files: the files the current state.json names are not touched.
        ModelFile.Save(sgd.Network, sgd.Cost, Tagged(directory, ModelFileName, save), modelTag);
        if (run.Best is not null) ModelFile.Save(run.Best, sgd.Cost, Tagged(directory, BestFileName, save), modelTag);
        var optimizerTensors = sgd.Optimizer.State.Select(pair => new SafeTensorEntry(pair.Key, DType<T>(), [pair.Value.Length], MemoryMarshal.AsBytes(pair.Value.AsSpan()).ToArray()));
        SafeTensors.Write(Tagged(directory, OptimizerFileName, save), optimizerTensors, new Dictionary<string, string>(tag) { ["optimizer"] = sgd.Optimizer.Name });

        // The plain model file for `nabla evaluate`, before the state: a process killed after the state is written then still
        // leaves one beside it (killed before, the model file may be a save newer than the state, which is still a model).
        ModelFile.Save(sgd.Network, sgd.Cost, Path.Combine(directory, ModelFileName), modelTag);

        // 2. The state that names them: from here on, this is the checkpoint.
        var state = new State
        {
            Epoch = run.Epoch,
            Position = sgd.Position,
            Save = save,
            Precision = DType<T>(),
            Optimizer = sgd.Optimizer.Name,
            OptimizerSteps = sgd.Optimizer.Steps,
            Schedule = run.Schedule.Name,
            ScheduleState = new(run.Schedule.SaveState()),
            EarlyStoppingState = run.EarlyStopping is null ? null : new(run.EarlyStopping.SaveState()),
            BestEpoch = run.BestEpoch,
            BestAccuracy = run.BestAccuracy,
            Random = sgd.Random.State.Select(x => x.ToString(CultureInfo.InvariantCulture)).ToArray(),
            Order = sgd.Order,
            ExpansionKey = sgd.Expansion is null ? null : sgd.ExpansionKey.ToString(CultureInfo.InvariantCulture),
            Settings = settings is null ? [] : new(settings),
            Record = record,
        };
        WriteAtomically(Path.Combine(directory, StateFileName), JsonSerializer.SerializeToUtf8Bytes(state, Json));

        // 3. The files no state names any more.
        foreach (string name in new[] { ModelFileName, BestFileName, OptimizerFileName })
            foreach (string stale in Directory.EnumerateFiles(directory, $"{Path.GetFileNameWithoutExtension(name)}.*{Path.GetExtension(name)}"))
                if (IsTagged(stale, name) && stale != Tagged(directory, name, save)) File.Delete(stale); // also what a killed save left
    }

    private static bool IsTagged(string path, string fileName)
    {
        string middle = Path.GetFileName(path)[(Path.GetFileNameWithoutExtension(fileName).Length + 1)..^Path.GetExtension(fileName).Length];
        return middle.Length > 0 && middle.All(char.IsAsciiDigit);
    }

    /// <summary>model.safetensors with save number 3 is model.3.safetensors.</summary>
    private static string Tagged(string directory, string fileName, long save) =>
        Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(fileName)}.{save}{Path.GetExtension(fileName)}");

    /// <summary>Reads state.json of a checkpoint (to learn its settings before building the run).</summary>
    public static State ReadState(string directory)
    {
        string path = Path.Combine(directory, StateFileName);
        if (!File.Exists(path)) throw new NablaException($"{directory} holds no checkpoint: {StateFileName} is missing");
        try
        {
            return JsonSerializer.Deserialize<State>(File.ReadAllBytes(path), Json) ?? throw new InvalidFileException(path, 0, "the state is null");
        }
        catch (JsonException e)
        {
            throw new InvalidFileException(path, e.BytePositionInLine ?? -1, $"not a valid checkpoint state: {e.Message}");
        }
    }

    /// <summary>
    /// Puts a checkpoint back into <paramref name="run"/>, which must be built with the same network shape,
    /// cost, optimiser and schedule kinds: weights, biases, optimiser buffers, schedule, early stopping,
    /// best network, epoch, generator, shuffle order and the epoch's expansion key.
    /// </summary>
    public static void Restore<T>(TrainingRun<T> run, string directory) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var state = ReadState(directory);
        string statePath = Path.Combine(directory, StateFileName);
        var sgd = run.Sgd;
        if (state.Precision != DType<T>()) throw new InvalidFileException(statePath, -1, $"the checkpoint is {state.Precision}; the run is {DType<T>()}");
        if (state.Optimizer != sgd.Optimizer.Name) throw new InvalidFileException(statePath, -1, $"the checkpoint used the {state.Optimizer} optimiser, the run {sgd.Optimizer.Name}");
        if (state.Schedule != run.Schedule.Name) throw new InvalidFileException(statePath, -1, $"the checkpoint used the {state.Schedule} schedule, the run {run.Schedule.Name}");

        // Everything is read and checked before anything of the run changes: a damaged checkpoint leaves the run as it was.
        var model = LoadAt<T>(Tagged(directory, ModelFileName, state.Save), state.Save);
        CheckShape(model, sgd.Network, Tagged(directory, ModelFileName, state.Save));
        string bestPath = Tagged(directory, BestFileName, state.Save);
        var best = File.Exists(bestPath) ? LoadAt<T>(bestPath, state.Save) : null;
        if (best is not null) CheckShape(best, sgd.Network, bestPath);

        string optimizerPath = Tagged(directory, OptimizerFileName, state.Save);
        var optimizerFile = SafeTensors.Read(optimizerPath);
        CheckSave(optimizerFile.Metadata, optimizerPath, state.Save);
        var optimizerState = new List<(T[] Buffer, byte[] Data)>();
        foreach (var (name, buffer) in sgd.Optimizer.State)
        {
            if (!optimizerFile.TryGet(name, out var entry) || entry.ElementCount != buffer.Length || entry.DType != DType<T>())
                throw new InvalidFileException(optimizerPath, -1, $"tensor '{name}' is missing or is not {buffer.Length} {DType<T>()} values");
            optimizerState.Add((buffer, entry.Data.ToArray()));
        }
        ulong[] random;
        try
        {
            random = state.Random.Select(s => ulong.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new InvalidFileException(statePath, -1, "random: the generator's state must be 64-bit unsigned integers");
        }
        if (random is not { Length: 4 } || (random[0] | random[1] | random[2] | random[3]) == 0)
            throw new InvalidFileException(statePath, -1, $"random: the generator's state is 4 words, not all zero; got {random.Length} word(s)");
        ulong expansionKey = 0;
        if (state.ExpansionKey is string key && !ulong.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out expansionKey))
            throw new InvalidFileException(statePath, -1, $"expansion_key '{key}' is not a 64-bit unsigned integer");
        if (state.Position < 0 || state.Position > state.Order.Length)
            throw new InvalidFileException(statePath, -1, $"position {state.Position} is outside the epoch's {state.Order.Length} examples");
        if (run.EarlyStopping is not null && state.EarlyStoppingState is null)
            throw new InvalidFileException(statePath, -1, "the checkpoint has no early-stopping state");

        // The schedule and early stopping check their own keys as they restore: on a failure, both are put back as they were.
        var (scheduleBefore, stoppingBefore) = (run.Schedule.SaveState(), run.EarlyStopping?.SaveState());
        try
        {
            run.Schedule.RestoreState(state.ScheduleState);
            run.EarlyStopping?.RestoreState(state.EarlyStoppingState!);
        }
        catch (Exception e) when (e is KeyNotFoundException or NablaException and not InvalidFileException)
        {
            run.Schedule.RestoreState(scheduleBefore);
            if (stoppingBefore is not null) run.EarlyStopping!.RestoreState(stoppingBefore);
            throw new InvalidFileException(statePath, -1, $"the schedule's or early stopping's state: {(e is KeyNotFoundException ? "a value is missing" : e.Message)}");
        }

        TrainingRun<T>.CopyInto(sgd.Network, model);
        run.Best = best;
        foreach (var (buffer, data) in optimizerState) MemoryMarshal.Cast<byte, T>(data).CopyTo(buffer);
        sgd.Optimizer.Steps = state.OptimizerSteps;
        (run.Epoch, run.BestEpoch, run.BestAccuracy) = (state.Epoch, state.BestEpoch, state.BestAccuracy);
        sgd.Random.State = random;
        sgd.Order = state.Order;
        sgd.ExpansionKey = expansionKey;
        sgd.Position = state.Position;
    }

    private static Network<T> LoadAt<T>(string path, long save) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var loaded = ModelFile.Load<T>(path);
        CheckSave(loaded.Metadata, path, save);
        return loaded.Network;
    }

    private static void CheckSave(IReadOnlyDictionary<string, string> metadata, string path, long save)
    {
        if (!metadata.TryGetValue("save", out var text) || text != save.ToString(CultureInfo.InvariantCulture))
            throw new InvalidFileException(path, -1, $"belongs to save {text ?? "?"}, but {StateFileName} to save {save}");
    }

    private static void CheckShape<T>(Network<T> loaded, Network<T> network, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!loaded.Sizes.SequenceEqual(network.Sizes))
            throw new InvalidFileException(path, -1, $"the checkpoint's network is [{string.Join(",", loaded.Sizes)}], the run's [{string.Join(",", network.Sizes)}]");
    }

    /// <summary>Temporary file in the same folder, flushed to disk, then renamed over <paramref name="path"/>.</summary>
    internal static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new NablaException($"{path}: cannot write: {e.Message}");
        }
    }

    private static string DType<T>() => typeof(T) == typeof(float) ? "F32" : typeof(T) == typeof(double) ? "F64"
        : throw new NotSupportedException($"checkpoints hold float32 or float64, not {typeof(T).Name}");
}
