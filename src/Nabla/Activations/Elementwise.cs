using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla;

/// <summary>
/// An activation applied neuron by neuron, whose σ' is a struct operator: the Hadamard product of
/// BP1/BP2 then costs one vectorised pass. Each subclass hands out, per element type T, the loops
/// bound to its operator (<see cref="DerivativeFor{T}"/>), so the JIT specialises them.
/// </summary>
public abstract class ElementwiseActivation : Activation
{
    /// <inheritdoc/>
    public override void Derivative<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> derivative) =>
        DerivativeFor<T>().Derivative(z, a, derivative);

    /// <inheritdoc/>
    /// <remarks>Elementwise, so <paramref name="width"/> is not needed.</remarks>
    public override void MultiplyByDerivative<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> delta, int width) =>
        DerivativeFor<T>().MultiplyByDerivative(z, a, g, delta);

    /// <summary>The σ' loops for element type T.</summary>
    protected abstract IDerivativeLoops<T> DerivativeFor<T>() where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The two σ' loops bound to one operator; made once per (activation, T).</summary>
    protected interface IDerivativeLoops<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>derivative = σ'(z), elementwise.</summary>
        void Derivative(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> derivative);
        /// <summary>delta = g ⊙ σ'(z), elementwise; <paramref name="g"/> and <paramref name="delta"/> may be the same span.</summary>
        void MultiplyByDerivative(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> delta);
    }

    /// <summary>The σ' loops of <see cref="Elementwise"/> bound to the operator <typeparamref name="TOp"/>.</summary>
    protected sealed class Loops<T, TOp> : IDerivativeLoops<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IDerivativeOperator<T>
    {
        /// <summary>The one instance per (T, operator): the loops hold no state.</summary>
        public static readonly Loops<T, TOp> Instance = new();
        /// <inheritdoc/>
        public void Derivative(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> derivative) => Elementwise.Derivative<T, TOp>(z, a, derivative);
        /// <inheritdoc/>
        public void MultiplyByDerivative(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> delta) =>
            Elementwise.MultiplyByDerivative<T, TOp>(z, a, g, delta);
    }
}

/// <summary>σ(z) = 1/(1+e^(−z)); σ'(z) = σ(z)(1−σ(z)). The chapter's neuron.</summary>
public sealed class SigmoidActivation : ElementwiseActivation
{
    /// <inheritdoc/>
    public override string Name => "sigmoid";
    /// <inheritdoc/>
    public override void Apply<T>(ReadOnlySpan<T> z, Span<T> a, int width) => Elementwise.Sigmoid(z, a);
    /// <inheritdoc/>
    protected override IDerivativeLoops<T> DerivativeFor<T>() => Loops<T, Prime<T>>.Instance;

    private readonly struct Prime<T> : IDerivativeOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Invoke(T z, T a) => a * (T.One - a);
        public static Vector<T> Invoke(Vector<T> z, Vector<T> a) => a * (Vector<T>.One - a);
    }
}

/// <summary>tanh(z); derivative 1 − tanh²(z).</summary>
public sealed class TanhActivation : ElementwiseActivation
{
    /// <inheritdoc/>
    public override string Name => "tanh";
    /// <inheritdoc/>
    public override void Apply<T>(ReadOnlySpan<T> z, Span<T> a, int width) => TensorPrimitives.Tanh(z, a);
    /// <inheritdoc/>
    protected override IDerivativeLoops<T> DerivativeFor<T>() => Loops<T, Prime<T>>.Instance;

    private readonly struct Prime<T> : IDerivativeOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Invoke(T z, T a) => T.One - a * a;
        public static Vector<T> Invoke(Vector<T> z, Vector<T> a) => Vector<T>.One - a * a;
    }
}

/// <summary>max(0, z); derivative 1 for z &gt; 0, else 0 (the subgradient at 0 is taken as 0).</summary>
public sealed class ReLUActivation : ElementwiseActivation
{
    /// <inheritdoc/>
    public override string Name => "relu";
    /// <inheritdoc/>
    public override void Apply<T>(ReadOnlySpan<T> z, Span<T> a, int width) => TensorPrimitives.Max(z, T.Zero, a);
    /// <inheritdoc/>
    protected override IDerivativeLoops<T> DerivativeFor<T>() => Loops<T, Prime<T>>.Instance;

    private readonly struct Prime<T> : IDerivativeOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Invoke(T z, T a) => z > T.Zero ? T.One : T.Zero;
        public static Vector<T> Invoke(Vector<T> z, Vector<T> a) =>
            Vector.ConditionalSelect(Vector.GreaterThan(z, Vector<T>.Zero), Vector<T>.One, Vector<T>.Zero);
    }
}

/// <summary>σ(z) = z; σ' = 1. A linear output layer.</summary>
public sealed class IdentityActivation : ElementwiseActivation
{
    /// <inheritdoc/>
    public override string Name => "identity";
    /// <inheritdoc/>
    public override void Apply<T>(ReadOnlySpan<T> z, Span<T> a, int width) => z.CopyTo(a);
    /// <inheritdoc/>
    protected override IDerivativeLoops<T> DerivativeFor<T>() => Loops<T, Prime<T>>.Instance;

    private readonly struct Prime<T> : IDerivativeOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Invoke(T z, T a) => T.One;
        public static Vector<T> Invoke(Vector<T> z, Vector<T> a) => Vector<T>.One;
    }
}

/// <summary>ln(1 + e^z); its derivative is the logistic function 1/(1+e^(−z)).</summary>
public sealed class SoftplusActivation : Activation
{
    /// <inheritdoc/>
    public override string Name => "softplus";

    /// <inheritdoc/>
    public override void Apply<T>(ReadOnlySpan<T> z, Span<T> a, int width)
    {
        // max(z, 0) + ln(1 + e^(−|z|)) never overflows, unlike ln(1 + e^z).
        for (int i = 0; i < z.Length; i++)
            a[i] = T.Max(z[i], T.Zero) + T.LogP1(T.Exp(-T.Abs(z[i])));
    }

    /// <inheritdoc/>
    public override void Derivative<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> derivative) => TensorPrimitives.Sigmoid(z, derivative);

    /// <inheritdoc/>
    public override void MultiplyByDerivative<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> delta, int width)
    {
        for (int i = 0; i < z.Length; i++)
            delta[i] = g[i] * (T.One / (T.One + T.Exp(-z[i])));
    }
}

/// <summary>A user's σ and σ' on doubles, applied element by element.</summary>
public sealed class CustomActivation(string name, Func<double, double> function, Func<double, double> derivative) : Activation
{
    /// <inheritdoc/>
    public override string Name { get; } = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("a custom activation needs a name", nameof(name)) : name;

    /// <inheritdoc/>
    public override void Apply<T>(ReadOnlySpan<T> z, Span<T> a, int width)
    {
        for (int i = 0; i < z.Length; i++) a[i] = T.CreateChecked(function(double.CreateChecked(z[i])));
    }

    /// <inheritdoc/>
    public override void Derivative<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> d)
    {
        for (int i = 0; i < z.Length; i++) d[i] = T.CreateChecked(derivative(double.CreateChecked(z[i])));
    }

    /// <inheritdoc/>
    public override void MultiplyByDerivative<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> delta, int width)
    {
        for (int i = 0; i < z.Length; i++) delta[i] = g[i] * T.CreateChecked(derivative(double.CreateChecked(z[i])));
    }
}
