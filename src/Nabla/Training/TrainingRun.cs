using System.Diagnostics;
using System.Numerics;

namespace Nabla;

/// <summary>Which of network2.py's four figures to compute after each epoch.</summary>
[Flags]
public enum MonitoredFigures
{
    /// <summary>No figure.</summary>
    None = 0,
    /// <summary>The cost on the training data, penalty included.</summary>
    TrainingCost = 1,
    /// <summary>The accuracy on the training data.</summary>
    TrainingAccuracy = 2,
    /// <summary>The cost on the evaluation data, penalty included.</summary>
    EvaluationCost = 4,
    /// <summary>The accuracy on the evaluation data.</summary>
    EvaluationAccuracy = 8,
    /// <summary>network2.py's defaults are off; Nabla's are the evaluation figures.</summary>
    Evaluation = EvaluationCost | EvaluationAccuracy,
    /// <summary>All four figures.</summary>
    All = TrainingCost | TrainingAccuracy | Evaluation,
}

/// <summary>The names of <see cref="MonitoredFigures"/> on a command line or in a request: training-cost, ..., all, none.</summary>
public static class MonitoredFiguresNames
{
    /// <summary>Every name <see cref="Parse"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["training-cost", "training-accuracy", "evaluation-cost", "evaluation-accuracy", "all", "none"];

    /// <summary>The figures named (any of <see cref="Names"/>).</summary>
    /// <exception cref="NablaException">A name is not one of them.</exception>
    public static MonitoredFigures Parse(IEnumerable<string> names)
    {
        var monitor = MonitoredFigures.None;
        foreach (var name in names)
            monitor |= name.Trim().ToLowerInvariant() switch
            {
                "training-cost" => MonitoredFigures.TrainingCost,
                "training-accuracy" => MonitoredFigures.TrainingAccuracy,
                "evaluation-cost" => MonitoredFigures.EvaluationCost,
                "evaluation-accuracy" => MonitoredFigures.EvaluationAccuracy,
                "all" => MonitoredFigures.All,
                "none" => MonitoredFigures.None,
                _ => throw new NablaException($"'{name}' is not training-cost, training-accuracy, evaluation-cost, evaluation-accuracy, all or none"),
            };
        return monitor;
    }
}

/// <summary>
/// One epoch's outcome: training time, η used, and the figures asked for (null when not monitored).
/// Costs include the regularisation penalty (network2.py's total_cost).
/// </summary>
public sealed record EpochResult(int Epoch, double TrainSeconds, double Eta, Evaluation? Training, Evaluation? Evaluation, bool IsBest)
{
    /// <summary>The cost on the training data, penalty included; null when not monitored.</summary>
    public double? TrainingCost => Training?.Cost;
    /// <summary>The fraction of training examples classified right, 0 to 1 (<see cref="Nabla.Evaluation.Accuracy"/>); null when not monitored.</summary>
    public double? TrainingAccuracy => Training?.Accuracy;
    /// <summary>The cost on the evaluation data, penalty included; null without evaluation data.</summary>
    public double? EvaluationCost => Evaluation?.Cost;
    /// <summary>The fraction of evaluation examples classified right, 0 to 1 (<see cref="Nabla.Evaluation.Accuracy"/>); null without evaluation data.</summary>
    public double? EvaluationAccuracy => Evaluation?.Accuracy;
}

/// <summary>
/// A training run of chapter 3: <see cref="Sgd{T}"/> epoch after epoch, with a learning-rate schedule,
/// optional early stopping, the best network so far (by evaluation accuracy) kept aside, and
/// checkpoints from which a run continues exactly as if it had not stopped (<see cref="Checkpoint"/>).
/// </summary>
public sealed class TrainingRun<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The trainer: network, cost, optimiser, mini-batch size; its η is set from <see cref="Schedule"/> before each epoch.</summary>
    public Sgd<T> Sgd { get; }
    /// <summary>How η changes from epoch to epoch.</summary>
    public LearningRateSchedule Schedule { get; }
    /// <summary>Stops the run when the evaluation score stops improving; null for none.</summary>
    public EarlyStopping? EarlyStopping { get; }
    /// <summary>The most epochs to run.</summary>
    public int Epochs { get; set; }
    /// <summary>The next epoch to run (0-based); the number of epochs done.</summary>
    public int Epoch { get; internal set; }
    /// <summary>A copy of the network at its best evaluation accuracy (for regression, lowest evaluation cost of the errors) so far, or null before the first evaluation.</summary>
    public Network<T>? Best { get; internal set; }
    /// <summary>The epoch (0-based) whose network is <see cref="Best"/>; −1 before the first evaluation.</summary>
    public int BestEpoch { get; internal set; } = -1;
    /// <summary>The best evaluation accuracy; for regression data, minus the lowest evaluation cost (without the weight penalty).</summary>
    public double BestAccuracy { get; internal set; } = double.NegativeInfinity;

    /// <summary>A run of at most <paramref name="epochs"/> epochs; sets <paramref name="sgd"/>'s η to the schedule's.</summary>
    /// <exception cref="NablaException"><paramref name="epochs"/> is negative.</exception>
    public TrainingRun(Sgd<T> sgd, LearningRateSchedule schedule, int epochs, EarlyStopping? earlyStopping = null)
    {
        if (epochs < 0) throw new NablaException($"the number of epochs must be 0 or more, got {epochs}");
        (Sgd, Schedule, Epochs, EarlyStopping) = (sgd, schedule, epochs, earlyStopping);
        Sgd.Eta = T.CreateChecked(schedule.Eta);
    }

    /// <summary>Why the run ends: all epochs done, early stopping, or the schedule's last halving; null while it goes on.</summary>
    public string? StopReason =>
        Epoch >= Epochs ? "epochs" : EarlyStopping?.ShouldStop == true ? "early-stopping" : Schedule.Finished ? "schedule" : null;

    /// <summary>True when the run is over (<see cref="StopReason"/> is set): <see cref="RunEpoch"/> would throw.</summary>
    public bool Finished => StopReason is not null;

    /// <summary>
    /// Trains one epoch with the schedule's η, then evaluates: on <paramref name="evaluation"/> always when
    /// given (the schedule, early stopping and the best network use its accuracy), on the training data
    /// when <paramref name="monitor"/> asks.
    /// </summary>
    public EpochResult RunEpoch(Dataset training, Dataset? evaluation, MonitoredFigures monitor = MonitoredFigures.Evaluation,
        Action<int>? onProgress = null, CancellationToken cancellation = default)
    {
        if (Finished) throw new NablaException($"the run is over ({StopReason}) after {Epoch} epochs");
        // Checked before the epoch, not after it: the weights would have moved in an epoch that cannot be counted.
        if (evaluation is null && (EarlyStopping is not null || Schedule is HalvingSchedule))
            throw new NablaException($"{(EarlyStopping is not null ? "early stopping" : "the halving schedule")} needs evaluation data after every epoch: pass it to RunEpoch");
        int epoch = Epoch;
        double eta = Schedule.Eta;
        Sgd.Eta = T.CreateChecked(eta);
        var clock = Stopwatch.StartNew();
        try
        {
            Sgd.TrainEpoch(training, onProgress, cancellation);
        }
        catch (TrainingDivergedException e) when (e.Epoch is null)
        {
            throw e.InEpoch(epoch);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        if (!HasFiniteParameters(Sgd.Network)) throw new TrainingDivergedException(epoch, null, "a weight or bias");

        Evaluation? onTraining = (monitor & (MonitoredFigures.TrainingCost | MonitoredFigures.TrainingAccuracy)) != 0 ? Sgd.Evaluate(training) : null;
        Evaluation? onEvaluation = evaluation is null ? null : Sgd.Evaluate(evaluation);
        // Classes are scored by accuracy; real-valued targets by the cost of their errors alone, negated so that higher is better
        // here too (the reported cost adds the weight penalty, which falls as the weights shrink: an epoch would look better
        // for smaller weights, not for smaller errors, and early stopping would never stop).
        double accuracy = onEvaluation is not Evaluation score ? double.NaN : evaluation!.IsClassification ? score.Accuracy
            : -(score.Cost - Sgd.Regularization.Penalty(Sgd.Network, evaluation.Count));
        bool isBest = false;
        if (onEvaluation is not null && accuracy > BestAccuracy)
        {
            isBest = true;
            (BestEpoch, BestAccuracy) = (epoch, accuracy);
            Best = CopyInto(Best, Sgd.Network);
        }
        EarlyStopping?.Observe(epoch, accuracy);
        Schedule.EndOfEpoch(epoch, accuracy);
        Epoch = epoch + 1;
        return new EpochResult(epoch, seconds, eta, onTraining, onEvaluation, isBest);
    }

    private static bool HasFiniteParameters(Network<T> network)
    {
        for (int l = 1; l <= network.L; l++)
        {
            foreach (T w in network.Weights[l].Data) if (!T.IsFinite(w)) return false;
            foreach (T b in network.Biases[l]) if (!T.IsFinite(b)) return false;
        }
        return true;
    }

    /// <summary>Puts the best network's weights and biases back into <see cref="Sgd{T}.Network"/> (early stopping's last step).</summary>
    public void RestoreBest()
    {
        if (Best is not null) CopyInto(Sgd.Network, Best);
    }

    /// <summary>Copies the parameters of <paramref name="source"/> into <paramref name="target"/> (made when null).</summary>
    internal static Network<T> CopyInto(Network<T>? target, Network<T> source)
    {
        if (target is null) return source.Clone();
        for (int l = 1; l <= source.L; l++)
        {
            source.Weights[l].Data.CopyTo(target.Weights[l].Data, 0);
            source.Biases[l].CopyTo(target.Biases[l], 0);
        }
        return target;
    }
}
