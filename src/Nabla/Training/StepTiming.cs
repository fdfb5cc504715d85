using System.Diagnostics;

namespace Nabla;

/// <summary>The phases of a training step, in order.</summary>
public enum StepPhase
{
    /// <summary>Getting the batch's inputs and targets (gathered in line, or waited for from the loading thread), and the step's bookkeeping.</summary>
    Load,
    /// <summary>Eq. 25 for the batch, through the dropout masks when on.</summary>
    FeedForward,
    /// <summary>BP1 and BP2.</summary>
    BackpropagateError,
    /// <summary>BP3 and BP4: ∇C of the batch, for optimisers that take it (plain SGD fuses it into <see cref="Update"/>).</summary>
    Gradient,
    /// <summary>The optimiser's change of the weights and biases (for plain SGD: BP3 and BP4 fused into w → w − (η/m) Σ δ aᵀ).</summary>
    Update,
    /// <summary>Data-parallel training, when timed: waiting for the slowest process to reach the all-reduce.</summary>
    Wait,
    /// <summary>Data-parallel training: the all-reduce that sums the gradient across processes.</summary>
    AllReduce,
}

/// <summary>
/// Where the time of training steps goes, phase by phase: set <see cref="Sgd{T}.Timing"/>, train, read <see cref="Seconds"/>.
/// A clock is read between the phases of every step (some 20 ns each); the steps themselves are the ones training runs.
/// </summary>
public sealed class StepTiming
{
    private readonly long[] _ticks = new long[Enum.GetValues<StepPhase>().Length];
    private long _last;

    /// <summary>Steps timed.</summary>
    public int Steps { get; private set; }

    /// <summary>Seconds spent in <paramref name="phase"/> over all the steps timed.</summary>
    public double Seconds(StepPhase phase) => _ticks[(int)phase] / (double)Stopwatch.Frequency;

    /// <summary>Seconds of all phases together.</summary>
    public double TotalSeconds => _ticks.Sum() / (double)Stopwatch.Frequency;

    internal void Start() => _last = Stopwatch.GetTimestamp();

    /// <summary>Ends <paramref name="phase"/>: the time since the last mark is its.</summary>
    internal void Mark(StepPhase phase)
    {
        long now = Stopwatch.GetTimestamp();
        _ticks[(int)phase] += now - _last;
        _last = now;
        if (phase == StepPhase.Update) Steps++;
    }
}
