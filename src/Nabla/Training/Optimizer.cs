using System.Numerics;

namespace Nabla;

/// <summary>
/// How a step turns the gradient ∇C of a mini-batch into a change of the weights and biases. An
/// optimiser's state (velocities, moments) is made once, with the network's shapes, and
/// <see cref="State"/> exposes it for checkpoints. A step allocates nothing.
/// </summary>
public abstract class Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Gradient<T>? _gradient;

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
        var gradient = _gradient ??= new Gradient<T>(batch.Network.Sizes);
        batch.ComputeMeanGradient(gradient);
        regularization.AddGradient(batch.Network, gradient, n);
        Step(batch.Network, gradient, eta);
    }

    /// <summary>One update from a given ∇C (mean over the batch, penalty included).</summary>
    public abstract void Step(Network<T> network, Gradient<T> gradient, T eta);

    /// <summary>The chapter's rule, w → w − η ∇C (fused with backprop in <see cref="SgdOptimizer{T}"/>).</summary>
    public static Optimizer<T> Sgd() => new SgdOptimizer<T>();
    /// <summary>Momentum-based gradient descent with momentum coefficient μ (chapter 3).</summary>
    public static Optimizer<T> Momentum(IReadOnlyList<int> sizes, double mu) => new MomentumOptimizer<T>(sizes, mu);
    /// <summary>Adam (Kingma and Ba) with the paper's defaults unless given.</summary>
    public static Optimizer<T> Adam(IReadOnlyList<int> sizes, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) =>
        new AdamOptimizer<T>(sizes, beta1, beta2, epsilon);

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
    private protected static T[] Parameter(Gradient<T> gradient, int i) => i % 2 == 0 ? gradient.Weights[i / 2 + 1].Data : gradient.Biases[i / 2 + 1];
}

/// <summary>
/// Plain SGD, the chapter's w → w − (η/m) Σ_x ∂C_x/∂w. From a mini-batch it takes the fused path
/// (<see cref="MiniBatch{T}.GradientDescentStep"/>): ∇w is never stored.
/// </summary>
public sealed class SgdOptimizer<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "sgd";
    public override IReadOnlyDictionary<string, T[]> State { get; } = new Dictionary<string, T[]>();

    public override void Step(MiniBatch<T> batch, T eta, Regularization regularization, int n)
    {
        regularization.Decay(batch.Network, eta, n); // the penalty's part first: w → (1 − ηλ/n) w (L2)
        batch.GradientDescentStep(eta);              // then the cost's part, fused with BP3/BP4
        Steps++;
    }

    public override void Step(Network<T> network, Gradient<T> gradient, T eta)
    {
        for (int l = 1; l <= network.L; l++)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<T>(gradient.Weights[l].Data, -eta, network.Weights[l].Data, network.Weights[l].Data);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<T>(gradient.Biases[l], -eta, network.Biases[l], network.Biases[l]);
        }
        Steps++;
    }
}

/// <summary>Momentum (chapter 3): v → μv − η∇C, w → w + v, for weights and biases alike.</summary>
public sealed class MomentumOptimizer<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<string, T[]> _named = new();
    private readonly T[][] _velocity;

    /// <summary>μ, the momentum coefficient (1 − μ is the friction).</summary>
    public double Mu { get; }
    public override string Name => "momentum";
    public override IReadOnlyDictionary<string, T[]> State => _named;

    public MomentumOptimizer(IReadOnlyList<int> sizes, double mu)
    {
        if (!(mu >= 0 && mu < 1)) throw new NablaException($"the momentum coefficient μ must be in [0, 1), got {mu}");
        Mu = mu;
        _velocity = Buffers(sizes, "velocity", _named);
    }

    public override void Step(Network<T> network, Gradient<T> gradient, T eta)
    {
        T mu = T.CreateChecked(Mu);
        for (int p = 0; p < _velocity.Length; p++)
        {
            T[] w = Parameter(network, p), g = Parameter(gradient, p), v = _velocity[p];
            for (int i = 0; i < w.Length; i++)
            {
                v[i] = mu * v[i] - eta * g[i]; // v → μv − η∇C
                w[i] += v[i];                  // w → w + v
            }
        }
        Steps++;
    }
}

/// <summary>
/// Adam: first and second moment estimates m → β₁m + (1 − β₁)g, v → β₂v + (1 − β₂)g², bias-corrected
/// m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), and w → w − η m̂/(√v̂ + ε).
/// </summary>
public sealed class AdamOptimizer<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<string, T[]> _named = new();
    private readonly T[][] _m, _v;

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public override string Name => "adam";
    public override IReadOnlyDictionary<string, T[]> State => _named;

    public AdamOptimizer(IReadOnlyList<int> sizes, double beta1, double beta2, double epsilon)
    {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new NablaException($"Adam's β₁ and β₂ must be in [0, 1), got {beta1} and {beta2}");
        if (!(epsilon > 0)) throw new NablaException($"Adam's ε must be positive, got {epsilon}");
        (Beta1, Beta2, Epsilon) = (beta1, beta2, epsilon);
        _m = Buffers(sizes, "m", _named);
        _v = Buffers(sizes, "v", _named);
    }

    public override void Step(Network<T> network, Gradient<T> gradient, T eta)
    {
        Steps++;
        T beta1 = T.CreateChecked(Beta1), beta2 = T.CreateChecked(Beta2), epsilon = T.CreateChecked(Epsilon);
        T correction1 = T.One / (T.One - T.CreateChecked(Math.Pow(Beta1, Steps)));
        T correction2 = T.One / (T.One - T.CreateChecked(Math.Pow(Beta2, Steps)));
        for (int p = 0; p < _m.Length; p++)
        {
            T[] w = Parameter(network, p), g = Parameter(gradient, p), m = _m[p], v = _v[p];
            for (int i = 0; i < w.Length; i++)
            {
                m[i] = beta1 * m[i] + (T.One - beta1) * g[i];
                v[i] = beta2 * v[i] + (T.One - beta2) * g[i] * g[i];
                w[i] -= eta * (m[i] * correction1) / (T.Sqrt(v[i] * correction2) + epsilon);
            }
        }
    }
}
