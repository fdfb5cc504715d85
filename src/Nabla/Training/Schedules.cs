using System.Globalization;

namespace Nabla;

/// <summary>
/// How η changes from epoch to epoch. Pure logic: it sees only the epoch number and the validation
/// accuracy after each epoch, so it can be tested with a scripted sequence of accuracies.
/// </summary>
public abstract class LearningRateSchedule
{
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

    protected static double Get(IReadOnlyDictionary<string, double> state, string key) =>
        state.TryGetValue(key, out var v) ? v : throw new NablaException($"the schedule's saved state has no '{key}'");

    public override string ToString() => $"{Name} (η = {Eta.ToString(CultureInfo.InvariantCulture)})";
}

/// <summary>η stays as given (the chapter's SGD).</summary>
public sealed class ConstantSchedule(double eta) : LearningRateSchedule(eta)
{
    public override string Name => "constant";
    public override void EndOfEpoch(int epoch, double validationAccuracy) { }
}

/// <summary>η → γη after every k epochs.</summary>
public sealed class StepSchedule : LearningRateSchedule
{
    public double Gamma { get; }
    public int Every { get; }
    public override string Name => "step";

    public StepSchedule(double eta, double gamma, int every) : base(eta)
    {
        if (!(gamma > 0 && gamma <= 1)) throw new NablaException($"the step schedule's factor γ must be in (0, 1], got {gamma}");
        if (every < 1) throw new NablaException($"the step schedule's period must be at least 1 epoch, got {every}");
        (Gamma, Every) = (gamma, every);
    }

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

    public int Patience { get; }
    public int MaxHalvings { get; }
    /// <summary>How many times η has been halved.</summary>
    public int Halvings { get; private set; }
    public override string Name => "halving";

    public HalvingSchedule(double eta, int patience, int maxHalvings = 7) : base(eta)
    {
        if (patience < 1) throw new NablaException($"the halving schedule's patience must be at least 1 epoch, got {patience}");
        if (maxHalvings < 1) throw new NablaException($"the halving schedule needs at least 1 halving, got {maxHalvings}");
        (Patience, MaxHalvings) = (patience, maxHalvings);
    }

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

    public override IReadOnlyDictionary<string, double> SaveState() => new Dictionary<string, double>(base.SaveState())
    {
        ["best"] = _best, ["since_improvement"] = _sinceImprovement, ["halvings"] = Halvings,
    };

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
    public EarlyStopping(int patience)
    {
        if (patience < 1) throw new NablaException($"early stopping needs a patience of at least 1 epoch, got {patience}");
        Patience = patience;
    }

    public int Patience { get; }
    /// <summary>The epoch with the best validation accuracy so far; −1 before the first.</summary>
    public int BestEpoch { get; private set; } = -1;
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

    public void RestoreState(IReadOnlyDictionary<string, double> state)
    {
        BestEpoch = (int)state["best_epoch"];
        BestAccuracy = state["best_accuracy"];
        ShouldStop = state["should_stop"] != 0;
    }
}
