namespace Nabla.Studio;

/// <summary>
/// Caps on what one request may ask for, so that no request can make the server allocate gigabytes or compute for
/// minutes. The page reads them from GET /api/options.
/// </summary>
public sealed record StudioLimits
{
    /// <summary>Request bodies larger than this are refused with 413.</summary>
    public int MaxBodyBytes { get; init; } = 64 * 1024;
    /// <summary>Layers including input and output (Playground: up to 6 hidden layers).</summary>
    public int MaxLayers { get; init; } = 8;
    public int MaxNeuronsPerLayer { get; init; } = 2048;
    /// <summary>Weights and biases in all: 4 M parameters are 16 MB in float32.</summary>
    public int MaxParameters { get; init; } = 4_000_000;
    public int MaxEpochs { get; init; } = 10_000;
    public int MaxBatch { get; init; } = 10_000;
    public int MaxThreads { get; init; } = Math.Max(1, Environment.ProcessorCount);
    /// <summary>Simultaneous event-stream clients.</summary>
    public int MaxEventClients { get; init; } = 200;
    /// <summary>A gradient check of more parameters than this checks a seeded sample of this many.</summary>
    public int MaxGradientCheckParameters { get; init; } = 30_000;
    /// <summary>The slowdown comparison: at most this many epochs on at most this many examples.</summary>
    public int MaxSlowdownEpochs { get; init; } = 3;
    public int MaxSlowdownExamples { get; init; } = 10_000;
}

/// <summary>How `nabla studio` was started.</summary>
public sealed record StudioSettings
{
    /// <summary>--data: a folder of MNIST-format files; null: the system's Fashion-MNIST, else the bundled sample.</summary>
    public string? DataDirectory { get; init; }
    /// <summary>The addresses to listen on; the default is loopback only.</summary>
    public string[] Urls { get; init; } = ["http://127.0.0.1:5005"];
    /// <summary>--out: where "save" writes the model file; null: a new file in <see cref="Folder"/>.</summary>
    public string? Out { get; init; }
    /// <summary>The server's folder: saved models and interruption checkpoints go here.</summary>
    public string Folder { get; init; } = Environment.CurrentDirectory;
    /// <summary>--checkpoint: where Ctrl-C checkpoints a run in progress; null: a new nabla-interrupted-* folder in <see cref="Folder"/>.</summary>
    public string? Checkpoint { get; init; }
    /// <summary>Snapshots of a training run, and so progress events, at most this often.</summary>
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    public StudioLimits Limits { get; init; } = new();
}
