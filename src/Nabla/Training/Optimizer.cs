using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla;

/// <summary>
/// How a step turns the gradient ∇C of a mini-batch into a change of the weights and biases. An
/// optimiser's state (velocities, moments) is made once, with the network's shapes, and
/// <see cref="State"/> exposes it for checkpoints. A step allocates nothing.
/// </summary>
public abstract class Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Gradient<T>? _gradient;
    private ParallelParameterUpdate? _parallel;

    /// <summary>The name used on the command line and in checkpoints.</summary>
    public abstract string Name { get; }

    /// <summary>How many steps have been taken (Adam's t).</summary>
    public long Steps { get; set; }

    /// <summary>The optimiser's buffers by name, in the network's layer shapes, for checkpoints; empty for plain SGD.</summary>
    public abstract IReadOnlyDictionary<string, T[]> State { get; }

    /// <summary>
    /// One update from a mini-batch whose δ^l are computed (after BackpropagateError): ∇C is the mean
    /// over the batch of ∂C_x/∂w, ∂C_x/∂b, plus the penalty's gradient for a training set of n examples.
    /// </summary>
    public virtual void Step(MiniBatch<T> batch, T eta, Regularization regularization, int n)
    {
        var gradient = MeanGradient(batch);
        regularization.AddGradient(batch.Network, gradient, n);
        Step(batch.Network, gradient, eta);
    }

    /// <summary>One update from a given ∇C (mean over the batch, penalty included).</summary>
    public abstract void Step(Network<T> network, Gradient<T> gradient, T eta);

    /// <summary>
    /// One update from <paramref name="sum"/> = Σ_x ∂C_x/∂w, ∂C_x/∂b over the <paramref name="m"/> examples of a mini-batch
    /// (data-parallel training: each process's partial sums, added up across processes): ∇C = sum / m, plus the penalty's
    /// gradient for a training set of n examples. <paramref name="sum"/> is scaled in place.
    /// </summary>
    internal virtual void StepFromSum(Network<T> network, Gradient<T> sum, int m, T eta, Regularization regularization, int n, ComputeContext context)
    {
        TensorPrimitives.Multiply<T>(sum.Values, T.One / T.CreateChecked(m), sum.Values);
        regularization.AddGradient(network, sum, n);
        Step(network, sum, eta);
    }

    /// <summary>The chapter's rule, w → w − η ∇C (fused with backprop in <see cref="SgdOptimizer{T}"/>).</summary>
    public static Optimizer<T> Sgd() => new SgdOptimizer<T>();
    /// <summary>Momentum-based gradient descent with momentum coefficient μ (chapter 3).</summary>
    public static Optimizer<T> Momentum(IReadOnlyList<int> sizes, double mu) => new MomentumOptimizer<T>(sizes, mu);
    /// <summary>Adam (Kingma and Ba) with the paper's defaults unless given.</summary>
    public static Optimizer<T> Adam(IReadOnlyList<int> sizes, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) =>
        new AdamOptimizer<T>(sizes, beta1, beta2, epsilon);

    /// <summary>∇C of the batch, (1/m) Σ_x of BP3 and BP4, through the batch's (parallel) products, in a buffer made once.</summary>
    private protected Gradient<T> MeanGradient(MiniBatch<T> batch)
    {
        var gradient = _gradient ??= new Gradient<T>(batch.Network.Sizes);
        batch.ComputeMeanGradient(gradient);
        batch.Timing?.Mark(StepPhase.Gradient);
        return gradient;
    }

    /// <summary>
    /// An elementwise rule applied to every parameter array, each cut among the threads of <paramref name="context"/>:
    /// <paramref name="rule"/> for each part. Elementwise, so the split never changes a number.
    /// </summary>
    private protected void UpdateElementwise(Network<T> network, Gradient<T> gradient, WeightPenalty<T> penalty, ComputeContext context, RangeRule rule)
    {
        var parallel = _parallel ??= new ParallelParameterUpdate();
        parallel.Run(network, gradient, penalty, context, rule);
    }

    /// <summary>
    /// An elementwise rule on the entries [start, start + parameter.Length) of parameter array p (<see cref="Parameter(Network{T}, int)"/>),
    /// given their gradient and, for weights, the penalty's coefficients.
    /// </summary>
    private protected delegate void RangeRule(int p, Span<T> parameter, ReadOnlySpan<T> gradient, WeightPenalty<T> penalty, int start);

    /// <summary>
    /// One buffer per parameter array, in the order w^1, b^1, w^2, b^2, …, named "{prefix}.{l}.weight" and
    /// "{prefix}.{l}.bias" in <paramref name="named"/> for checkpoints.
    /// </summary>
    private protected static T[][] Buffers(IReadOnlyList<int> sizes, string prefix, Dictionary<string, T[]> named)
    {
        var buffers = new T[2 * (sizes.Count - 1)][];
        for (int l = 1; l < sizes.Count; l++)
        {
            named[$"{prefix}.{l}.weight"] = buffers[2 * (l - 1)] = new T[sizes[l] * sizes[l - 1]];
            named[$"{prefix}.{l}.bias"] = buffers[2 * (l - 1) + 1] = new T[sizes[l]];
        }
        return buffers;
    }

    /// <summary>Parameter array i in the order of <see cref="Buffers"/>: w^l for even i, b^l for odd i, l = i/2 + 1.</summary>
    private protected static T[] Parameter(Network<T> network, int i) => i % 2 == 0 ? network.Weights[i / 2 + 1].Data : network.Biases[i / 2 + 1];

    /// <summary>∂C/∂w^l or ∂C/∂b^l, in the same order.</summary>
    private protected static Span<T> Parameter(Gradient<T> gradient, int i) => i % 2 == 0 ? gradient.Weights[i / 2 + 1].AsSpan() : gradient.Biases[i / 2 + 1];

    /// <summary>
    /// Every parameter array cut into one range per thread, on 16-element boundaries (a cache line of floats, and whole vectors):
    /// the update is a stream over w, ∇C and the state, 7 values per weight, about a sixth of a step's time at
    /// [784,500,200,10] on one core. Below <see cref="MinParallelEntries"/> parameters it stays on the calling thread.
    /// </summary>
    private sealed class ParallelParameterUpdate : ParallelWork
    {
        public const int MinParallelEntries = 32_768;
        private Network<T>? _network;
        private Gradient<T>? _gradient;
        private WeightPenalty<T> _penalty;
        private RangeRule? _rule;

        public void Run(Network<T> network, Gradient<T> gradient, WeightPenalty<T> penalty, ComputeContext context, RangeRule rule)
        {
            (_network, _gradient, _penalty, _rule) = (network, gradient, penalty, rule);
            try
            {
                if (context.Threads == 1 || Entries(network) < MinParallelEntries) Execute(0, 1);
                else context.Run(this);
            }
            finally { (_network, _gradient, _rule) = (null, null, null); }
        }

        private static long Entries(Network<T> network)
        {
            long entries = 0;
            for (int p = 0; p < 2 * network.L; p++) entries += Parameter(network, p).Length;
            return entries;
        }

        public override void Execute(int part, int parts)
        {
            for (int p = 0; p < 2 * _network!.L; p++)
            {
                T[] parameter = Parameter(_network, p);
                Span<T> gradient = Parameter(_gradient!, p);
                var (start, end) = ComputeContext.Partition(parameter.Length, part, parts, 16);
                if (end > start)
                    _rule!(p, parameter.AsSpan(start, end - start), gradient.Slice(start, end - start),
                        p % 2 == 0 ? _penalty : WeightPenalty<T>.None, start);
            }
        }
    }
}

/// <summary>
/// Plain SGD, the chapter's w → w − (η/m) Σ_x ∂C_x/∂w. From a mini-batch it takes the fused path
/// (<see cref="MiniBatch{T}.GradientDescentStep"/>): ∇w is never stored.
/// </summary>
public sealed class SgdOptimizer<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override string Name => "sgd";
    /// <summary>Empty: plain SGD keeps nothing between steps.</summary>
    public override IReadOnlyDictionary<string, T[]> State { get; } = new Dictionary<string, T[]>();

    /// <summary>The penalty's part of the step (weight decay, <see cref="Regularization.Decay{T}"/>), then w → w − (η/m) Σ_x δ (a^(l−1))ᵀ fused with BP3/BP4.</summary>
    public override void Step(MiniBatch<T> batch, T eta, Regularization regularization, int n)
    {
        regularization.Decay(batch.Network, eta, n); // the penalty's part first: w → (1 − ηλ/n) w (L2)
        batch.GradientDescentStep(eta);              // then the cost's part, fused with BP3/BP4
        Steps++;
    }

    /// <summary>As the fused step, from a gradient summed elsewhere: the penalty's part, then w → w − (η/m) Σ_x ∂C_x/∂w.</summary>
    internal override void StepFromSum(Network<T> network, Gradient<T> sum, int m, T eta, Regularization regularization, int n, ComputeContext context)
    {
        regularization.Decay(network, eta, n);
        T step = -eta / T.CreateChecked(m);
        for (int l = 1; l <= network.L; l++)
        {
            TensorPrimitives.MultiplyAdd<T>(sum.Weights[l].AsSpan(), step, network.Weights[l].Data, network.Weights[l].Data);
            TensorPrimitives.MultiplyAdd<T>(sum.Biases[l], step, network.Biases[l], network.Biases[l]);
        }
        Steps++;
    }

    /// <summary>w → w − η ∇C, b → b − η ∇C, with <paramref name="gradient"/> the mean ∇C.</summary>
    public override void Step(Network<T> network, Gradient<T> gradient, T eta)
    {
        for (int l = 1; l <= network.L; l++)
        {
            TensorPrimitives.MultiplyAdd<T>(gradient.Weights[l].AsSpan(), -eta, network.Weights[l].Data, network.Weights[l].Data);
            TensorPrimitives.MultiplyAdd<T>(gradient.Biases[l], -eta, network.Biases[l], network.Biases[l]);
        }
        Steps++;
    }
}

/// <summary>
/// An optimiser whose rule is elementwise given ∇C (momentum, Adam): every way of taking a step ends in <see cref="Update"/>,
/// which applies the rule to each parameter, split across the threads, with the penalty's gradient added element by element.
/// </summary>
public abstract class ElementwiseOptimizer<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>∇C through the batch's parallel products, then the update with the penalty's gradient, split across the same threads.</summary>
    public override void Step(MiniBatch<T> batch, T eta, Regularization regularization, int n) =>
        Update(batch.Network, MeanGradient(batch), eta, regularization.GradientCoefficients<T>(n), batch.Context);

    /// <summary>One step on this thread, with <paramref name="gradient"/> the mean ∇C (penalty included, if any).</summary>
    public override void Step(Network<T> network, Gradient<T> gradient, T eta) => Update(network, gradient, eta, WeightPenalty<T>.None, ComputeContext.Serial);

    internal override void StepFromSum(Network<T> network, Gradient<T> sum, int m, T eta, Regularization regularization, int n, ComputeContext context)
    {
        TensorPrimitives.Multiply<T>(sum.Values, T.One / T.CreateChecked(m), sum.Values); // ∇C = Σ_x ∂C_x/∂w / m
        Update(network, sum, eta, regularization.GradientCoefficients<T>(n), context);
    }

    /// <summary>The rule on every parameter, given the mean ∇C and the penalty's coefficients, on the threads of <paramref name="context"/>.</summary>
    private protected abstract void Update(Network<T> network, Gradient<T> gradient, T eta, WeightPenalty<T> penalty, ComputeContext context);
}

/// <summary>Momentum (chapter 3): v → μv − η∇C, w → w + v, for weights and biases alike (<see cref="ParameterUpdate.Momentum"/>).</summary>
public sealed class MomentumOptimizer<T> : ElementwiseOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<string, T[]> _named = new();
    private readonly T[][] _velocity;
    private readonly RangeRule _rule;
    private T _mu, _eta;

    /// <summary>μ, the momentum coefficient (1 − μ is the friction).</summary>
    public double Mu { get; }
    /// <inheritdoc/>
    public override string Name => "momentum";
    /// <summary>The velocities v, <c>velocity.{l}.weight</c> and <c>velocity.{l}.bias</c>.</summary>
    public override IReadOnlyDictionary<string, T[]> State => _named;

    /// <summary>Momentum for a network of layer sizes <paramref name="sizes"/>, velocities starting at 0.</summary>
    /// <exception cref="NablaException"><paramref name="mu"/> is not in [0, 1).</exception>
    public MomentumOptimizer(IReadOnlyList<int> sizes, double mu)
    {
        if (!(mu >= 0 && mu < 1)) throw new NablaException($"the momentum coefficient μ must be in [0, 1), got {mu}");
        Mu = mu;
        _velocity = Buffers(sizes, "velocity", _named);
        _rule = UpdateRange;
    }

    /// <summary>v → μv − η∇C, w → w + v, the penalty's gradient added to ∇C as each element is updated.</summary>
    private protected override void Update(Network<T> network, Gradient<T> gradient, T eta, WeightPenalty<T> penalty, ComputeContext context)
    {
        (_mu, _eta) = (T.CreateChecked(Mu), eta);
        UpdateElementwise(network, gradient, penalty, context, _rule);
        Steps++;
    }

    private void UpdateRange(int p, Span<T> parameter, ReadOnlySpan<T> gradient, WeightPenalty<T> penalty, int start) =>
        ParameterUpdate.Momentum(parameter, gradient, _velocity[p].AsSpan(start, parameter.Length), _mu, _eta, penalty);
}

/// <summary>
/// Adam: first and second moment estimates m → β₁m + (1 − β₁)g, v → β₂v + (1 − β₂)g², bias-corrected
/// m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), and w → w − η m̂/(√v̂ + ε) (<see cref="ParameterUpdate.Adam"/>).
/// </summary>
public sealed class AdamOptimizer<T> : ElementwiseOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<string, T[]> _named = new();
    private readonly T[][] _m, _v;
    private readonly RangeRule _rule;
    private AdamStep<T> _step;

    /// <summary>β₁, the decay of the first-moment estimate m, in [0, 1).</summary>
    public double Beta1 { get; }
    /// <summary>β₂, the decay of the second-moment estimate v, in [0, 1).</summary>
    public double Beta2 { get; }
    /// <summary>ε, added to √v̂ so that the step stays finite where v̂ ≈ 0.</summary>
    public double Epsilon { get; }
    /// <inheritdoc/>
    public override string Name => "adam";
    /// <summary>The moment estimates, <c>m.{l}.weight</c>, <c>m.{l}.bias</c>, <c>v.{l}.weight</c>, <c>v.{l}.bias</c>.</summary>
    public override IReadOnlyDictionary<string, T[]> State => _named;

    /// <summary>Adam for a network of layer sizes <paramref name="sizes"/>, moments starting at 0.</summary>
    /// <exception cref="NablaException">β₁ or β₂ is not in [0, 1), or ε is not positive.</exception>
    public AdamOptimizer(IReadOnlyList<int> sizes, double beta1, double beta2, double epsilon)
    {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new NablaException($"Adam's β₁ and β₂ must be in [0, 1), got {beta1} and {beta2}");
        if (!(epsilon > 0)) throw new NablaException($"Adam's ε must be positive, got {epsilon}");
        (Beta1, Beta2, Epsilon) = (beta1, beta2, epsilon);
        _m = Buffers(sizes, "m", _named);
        _v = Buffers(sizes, "v", _named);
        _rule = UpdateRange;
    }

    /// <summary>One Adam step (t → t + 1), the penalty's gradient added to ∇C as each element is updated.</summary>
    private protected override void Update(Network<T> network, Gradient<T> gradient, T eta, WeightPenalty<T> penalty, ComputeContext context)
    {
        Steps++;
        _step = new AdamStep<T>(eta, T.CreateChecked(Beta1), T.CreateChecked(Beta2), T.CreateChecked(Epsilon),
            T.One / (T.One - T.CreateChecked(Math.Pow(Beta1, Steps))), T.One / (T.One - T.CreateChecked(Math.Pow(Beta2, Steps))));
        UpdateElementwise(network, gradient, penalty, context, _rule);
    }

    private void UpdateRange(int p, Span<T> parameter, ReadOnlySpan<T> gradient, WeightPenalty<T> penalty, int start) =>
        ParameterUpdate.Adam(parameter, gradient, _m[p].AsSpan(start, parameter.Length), _v[p].AsSpan(start, parameter.Length), _step, penalty);
}
