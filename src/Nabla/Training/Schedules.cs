using System.Globalization;

namespace Nabla;

/// <summary>
/// How η changes from epoch to epoch. Pure logic: it sees only the epoch number and the validation
/// accuracy after each epoch, so it can be tested with a scripted sequence of accuracies.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>A schedule that starts at η = <paramref name="eta"/>.</summary>
    /// <exception cref="NablaException"><paramref name="eta"/> is not a positive finite number.</exception>
    protected LearningRateSchedule(double eta)
    {
        if (!(eta > 0) || !double.IsFinite(eta)) throw new NablaException($"the learning rate η must be a positive number, got {eta}");
        InitialEta = Eta = eta;
    }

    /// <summary>η at the start.</summary>
    public double InitialEta { get; }
    /// <summary>η for the next epoch.</summary>
    public double Eta { get; protected set; }
    /// <summary>True when the schedule says training should end (the halving schedule after its last halving).</summary>
    public bool Finished { get; protected set; }
    /// <summary>The name used on the command line and in checkpoints.</summary>
    public abstract string Name { get; }

    /// <summary>Called after epoch <paramref name="epoch"/> (0-based) with the accuracy on the validation data (NaN when there is none).</summary>
    public abstract void EndOfEpoch(int epoch, double validationAccuracy);

    /// <summary>The state that changes during training, for checkpoints.</summary>
    public virtual IReadOnlyDictionary<string, double> SaveState() => new Dictionary<string, double> { ["eta"] = Eta, ["finished"] = Finished ? 1 : 0 };

    /// <summary>Restores what <see cref="SaveState"/> gave.</summary>
    public virtual void RestoreState(IReadOnlyDictionary<string, double> state)
    {
        Eta = Get(state, "eta");
        Finished = Get(state, "finished") != 0;
    }

    /// <summary>The value saved under <paramref name="key"/>.</summary>
    /// <exception cref="NablaException">The state has no such key.</exception>
    protected static double Get(IReadOnlyDictionary<string, double> state, string key) =>
        state.TryGetValue(key, out var v) ? v : throw new NablaException($"the schedule's saved state has no '{key}'");

    /// <summary>The name and the current η, e.g. <c>halving (η = 0.25)</c>.</summary>
    public override string ToString() => $"{Name} (η = {Eta.ToString(CultureInfo.InvariantCulture)})";
}

/// <summary>η stays as given (the chapter's SGD).</summary>
public sealed class ConstantSchedule(double eta) : LearningRateSchedule(eta)
{
    /// <inheritdoc/>
    public override string Name => "constant";
    /// <summary>Does nothing: η never changes.</summary>
    public override void EndOfEpoch(int epoch, double validationAccuracy) { }
}

/// <summary>η → γη after every k epochs.</summary>
public sealed class StepSchedule : LearningRateSchedule
{
    /// <summary>γ, the factor η is multiplied by, in (0, 1].</summary>
    public double Gamma { get; }
    /// <summary>k, the epochs between two steps.</summary>
    public int Every { get; }
    /// <inheritdoc/>
    public override string Name => "step";

    /// <summary>η = <paramref name="eta"/>, multiplied by <paramref name="gamma"/> after epochs k − 1, 2k − 1, … (k = <paramref name="every"/>).</summary>
    /// <exception cref="NablaException">η is not positive and finite, γ is not in (0, 1], or k is below 1.</exception>
    public StepSchedule(double eta, double gamma, int every) : base(eta)
    {
        if (!(gamma > 0 && gamma <= 1)) throw new NablaException($"the step schedule's factor γ must be in (0, 1], got {gamma}");
        if (every < 1) throw new NablaException($"the step schedule's period must be at least 1 epoch, got {every}");
        (Gamma, Every) = (gamma, every);
    }

    /// <summary>η → γη after every <see cref="Every"/>-th epoch; the accuracy is not used.</summary>
    public override void EndOfEpoch(int epoch, double validationAccuracy)
    {
        if ((epoch + 1) % Every == 0) Eta *= Gamma;
    }
}

/// <summary>
/// Chapter 3's schedule: keep η while the validation accuracy improves; when it has not improved for
/// <see cref="Patience"/> epochs, halve η; after <see cref="MaxHalvings"/> halvings (7 takes η to η/128),
/// stop.
/// </summary>
public sealed class HalvingSchedule : LearningRateSchedule
{
    private double _best = double.NegativeInfinity;
    private int _sinceImprovement;

    /// <summary>n: epochs without a better validation accuracy before η is halved.</summary>
    public int Patience { get; }
    /// <summary>The halvings after which the schedule is <see cref="LearningRateSchedule.Finished"/>.</summary>
    public int MaxHalvings { get; }
    /// <summary>How many times η has been halved.</summary>
    public int Halvings { get; private set; }
    /// <inheritdoc/>
    public override string Name => "halving";

    /// <summary>Starts at η = <paramref name="eta"/>; halves it after <paramref name="patience"/> epochs without improvement, <paramref name="maxHalvings"/> times at most.</summary>
    /// <exception cref="NablaException">η is not positive and finite, or patience or maxHalvings is below 1.</exception>
    public HalvingSchedule(double eta, int patience, int maxHalvings = 7) : base(eta)
    {
        if (patience < 1) throw new NablaException($"the halving schedule's patience must be at least 1 epoch, got {patience}");
        if (maxHalvings < 1) throw new NablaException($"the halving schedule needs at least 1 halving, got {maxHalvings}");
        (Patience, MaxHalvings) = (patience, maxHalvings);
    }

    /// <summary>Counts an epoch without improvement, or resets the count on a new best; halves η when the count reaches <see cref="Patience"/>.</summary>
    /// <exception cref="NablaException"><paramref name="validationAccuracy"/> is NaN (no validation data).</exception>
    public override void EndOfEpoch(int epoch, double validationAccuracy)
    {
        if (double.IsNaN(validationAccuracy)) throw new NablaException("the halving schedule needs a validation accuracy after every epoch");
        if (validationAccuracy > _best)
        {
            _best = validationAccuracy;
            _sinceImprovement = 0;
            return;
        }
        if (++_sinceImprovement < Patience) return;
        Eta /= 2;
        Halvings++;
        _sinceImprovement = 0; // give the smaller η its own n epochs
        if (Halvings >= MaxHalvings) Finished = true;
    }

    /// <summary>η, finished, and the best accuracy, epochs since it and halvings so far.</summary>
    public override IReadOnlyDictionary<string, double> SaveState() => new Dictionary<string, double>(base.SaveState())
    {
        ["best"] = _best, ["since_improvement"] = _sinceImprovement, ["halvings"] = Halvings,
    };

    /// <inheritdoc/>
    /// <exception cref="NablaException">A key is missing.</exception>
    public override void RestoreState(IReadOnlyDictionary<string, double> state)
    {
        base.RestoreState(state);
        _best = Get(state, "best");
        _sinceImprovement = (int)Get(state, "since_improvement");
        Halvings = (int)Get(state, "halvings");
    }
}

/// <summary>
/// Early stopping on validation accuracy: stop when it has not improved for <see cref="Patience"/>
/// epochs ("no improvement in n epochs"), and remember the best epoch so that its network can be kept.
/// </summary>
public sealed class EarlyStopping
{
    /// <summary>Stops after <paramref name="patience"/> epochs without a better validation accuracy.</summary>
    /// <exception cref="NablaException"><paramref name="patience"/> is below 1.</exception>
    public EarlyStopping(int patience)
    {
        if (patience < 1) throw new NablaException($"early stopping needs a patience of at least 1 epoch, got {patience}");
        Patience = patience;
    }

    /// <summary>n: epochs without improvement before stopping.</summary>
    public int Patience { get; }
    /// <summary>The epoch with the best validation accuracy so far; −1 before the first.</summary>
    public int BestEpoch { get; private set; } = -1;
    /// <summary>The best validation accuracy so far; −∞ before the first.</summary>
    public double BestAccuracy { get; private set; } = double.NegativeInfinity;
    /// <summary>True once <see cref="Patience"/> epochs have passed without improvement.</summary>
    public bool ShouldStop { get; private set; }

    /// <summary>Records epoch <paramref name="epoch"/>'s accuracy; true when it is the best so far (keep this network).</summary>
    public bool Observe(int epoch, double validationAccuracy)
    {
        if (double.IsNaN(validationAccuracy)) throw new NablaException("early stopping needs a validation accuracy after every epoch");
        if (validationAccuracy > BestAccuracy)
        {
            (BestEpoch, BestAccuracy) = (epoch, validationAccuracy);
            return true;
        }
        if (epoch - BestEpoch >= Patience) ShouldStop = true;
        return false;
    }

    /// <summary>The state, for checkpoints.</summary>
    public IReadOnlyDictionary<string, double> SaveState() => new Dictionary<string, double>
    {
        ["best_epoch"] = BestEpoch, ["best_accuracy"] = BestAccuracy, ["should_stop"] = ShouldStop ? 1 : 0,
    };

    /// <summary>Restores what <see cref="SaveState"/> gave.</summary>
    /// <exception cref="KeyNotFoundException">A key is missing.</exception>
    public void RestoreState(IReadOnlyDictionary<string, double> state)
    {
        BestEpoch = (int)state["best_epoch"];
        BestAccuracy = state["best_accuracy"];
        ShouldStop = state["should_stop"] != 0;
    }
}
