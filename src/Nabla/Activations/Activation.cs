using System.Collections.Concurrent;
using System.Numerics;

namespace Nabla;

/// <summary>
/// An activation function σ together with its derivative σ' (as in micrograd, each operation carries
/// its own backward rule). The methods work on a whole mini-batch at once: spans hold one row per
/// example, <c>width</c> neurons each. The four equations hold for any σ; only σ' changes.
/// </summary>
public abstract class Activation
{
    /// <summary>The name used on the command line and in model files.</summary>
    public abstract string Name { get; }

    /// <summary>a = σ(z).</summary>
    public abstract void Apply<T>(ReadOnlySpan<T> z, Span<T> a, int width) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>σ'(z), elementwise; <paramref name="a"/> = σ(z) is passed because several derivatives are cheapest from it.</summary>
    public abstract void Derivative<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> derivative) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// delta = g ⊙ σ'(z), the Hadamard product that closes BP1 and BP2. <paramref name="g"/> and
    /// <paramref name="delta"/> may be the same span.
    /// </summary>
    public abstract void MultiplyByDerivative<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> delta, int width)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The activation's <see cref="Name"/>.</summary>
    public override string ToString() => Name;

    /// <summary>The chapter's σ(z) = 1/(1+e^(−z)), "sigmoid"; see <see cref="SigmoidActivation"/>.</summary>
    public static Activation Sigmoid { get; } = new SigmoidActivation();
    /// <summary>tanh(z), "tanh"; see <see cref="TanhActivation"/>.</summary>
    public static Activation Tanh { get; } = new TanhActivation();
    /// <summary>max(0, z), "relu"; see <see cref="ReLUActivation"/>.</summary>
    public static Activation ReLU { get; } = new ReLUActivation();
    /// <summary>σ(z) = z, "identity" (also found as "linear"): the output layer of a regression.</summary>
    public static Activation Identity { get; } = new IdentityActivation();
    /// <summary>ln(1 + e^z), "softplus"; see <see cref="SoftplusActivation"/>.</summary>
    public static Activation Softplus { get; } = new SoftplusActivation();
    /// <summary>Softmax over the neurons of a layer (chapter 3): not elementwise, see <see cref="SoftmaxActivation"/>.</summary>
    public static Activation Softmax { get; } = new SoftmaxActivation();

    /// <summary>
    /// A user-supplied activation from σ and σ' on doubles. Slower than the built-in ones (one call per
    /// element) but exact; registered under its name so that model files naming it load again.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    /// <exception cref="NablaException"><paramref name="name"/> is a built-in activation's (relu, sigmoid, …).</exception>
    public static Activation Custom(string name, Func<double, double> function, Func<double, double> derivative)
    {
        var activation = new CustomActivation(name, function, derivative);
        Register(activation);
        return activation;
    }

    private static readonly ConcurrentDictionary<string, Activation> Registry = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sigmoid"] = Sigmoid, ["tanh"] = Tanh, ["relu"] = ReLU, ["identity"] = Identity, ["linear"] = Identity, ["softplus"] = Softplus,
        ["softmax"] = Softmax,
    };

    /// <summary>Makes an activation findable by <see cref="FromName"/> (and so loadable from model files).</summary>
    /// <exception cref="NablaException">The name is a built-in activation's: a model file naming it must load what it was trained with.</exception>
    public static void Register(Activation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        if (BuiltInNames.Contains(activation.Name.Trim()))
            throw new NablaException($"'{activation.Name}' is the name of a built-in activation; give yours another name (model files that name '{activation.Name}' load the built-in one)");
        Registry[activation.Name] = activation;
    }

    private static readonly HashSet<string> BuiltInNames = new(Registry.Keys, StringComparer.OrdinalIgnoreCase);

    /// <summary>The names <see cref="FromName"/> knows.</summary>
    public static IReadOnlyCollection<string> KnownNames => Registry.Keys.Order().ToArray();

    /// <summary>The activation registered under <paramref name="name"/> (case-insensitive, surrounding spaces ignored).</summary>
    /// <exception cref="NablaException">No activation has that name; the message lists the known ones.</exception>
    public static Activation FromName(string name) =>
        Registry.TryGetValue(name.Trim(), out var a) ? a
        : throw new NablaException($"unknown activation '{name}'; known: {string.Join(", ", KnownNames)}");
}
