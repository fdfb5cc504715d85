using System.Collections.Concurrent;
using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla;

/// <summary>
/// A cost C = (1/n) Σ_x C_x: an average of per-example costs, each a function of the output
/// activations a^L alone (the chapter's two assumptions). It gives C_x and ∇_a C_x; BP1 needs
/// nothing more. Spans hold one row per example.
/// </summary>
public abstract class Cost
{
    /// <summary>The name used on the command line and in model files.</summary>
    public abstract string Name { get; }

    /// <summary>Σ_x C_x over the examples whose outputs are the rows of <paramref name="a"/> (targets <paramref name="y"/>).</summary>
    public abstract T Total<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>∇_a C_x for each example (row).</summary>
    public abstract void Gradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y, Span<T> gradient) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// BP1: δ^L = ∇_a C ⊙ σ'(z^L), for each example (row). A cost may override this where the product
    /// simplifies for a given output activation; the value is the same, computed more safely.
    /// </summary>
    public virtual void OutputError<T>(Activation outputActivation, ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> y, Span<T> delta, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gradient(a, y, delta);
        outputActivation.MultiplyByDerivative(z, a, delta, delta, width);
    }

    /// <summary>
    /// Refuses, before any training, an output activation whose values this cost is not defined for (cross-entropy's ln(1 − a)
    /// outside (0, 1), say), with a message that names the activation that fits. Every activation suits the quadratic cost.
    /// </summary>
    /// <exception cref="NablaException">The pair does not fit.</exception>
    public virtual void CheckOutputActivation(Activation output) { }

    /// <summary>The cost's <see cref="Name"/>.</summary>
    public override string ToString() => Name;

    /// <summary>The chapter's quadratic cost (Eq. 26–27), "quadratic" (also "mse"); see <see cref="QuadraticCost"/>.</summary>
    public static Cost Quadratic { get; } = new QuadraticCost();
    /// <summary>The cross-entropy cost for sigmoid outputs (chapter 3), "cross-entropy"; see <see cref="CrossEntropyCost"/>.</summary>
    public static Cost CrossEntropy { get; } = new CrossEntropyCost();
    /// <summary>−ln a^L_y, for softmax outputs (chapter 3).</summary>
    public static Cost LogLikelihood { get; } = new LogLikelihoodCost();

    private static readonly ConcurrentDictionary<string, Cost> Registry = new(StringComparer.OrdinalIgnoreCase)
    {
        ["quadratic"] = Quadratic, ["mse"] = Quadratic, ["cross-entropy"] = CrossEntropy, ["crossentropy"] = CrossEntropy,
        ["log-likelihood"] = LogLikelihood, ["loglikelihood"] = LogLikelihood,
    };

    /// <summary>Makes a user's cost findable by <see cref="FromName"/> (and so loadable from model files).</summary>
    /// <exception cref="NablaException">The name is a built-in cost's: a model file naming it must load what it was trained with.</exception>
    public static void Register(Cost cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        if (BuiltInNames.Contains(cost.Name.Trim()))
            throw new NablaException($"'{cost.Name}' is the name of a built-in cost; give yours another name (model files that name '{cost.Name}' load the built-in one)");
        Registry[cost.Name] = cost;
    }

    private static readonly HashSet<string> BuiltInNames = new(Registry.Keys, StringComparer.OrdinalIgnoreCase);

    /// <summary>The names <see cref="FromName"/> knows, in order.</summary>
    public static IReadOnlyCollection<string> KnownNames => Registry.Keys.Order().ToArray();

    /// <summary>The cost registered under <paramref name="name"/> (case-insensitive, surrounding spaces ignored).</summary>
    /// <exception cref="NablaException">No cost has that name; the message lists the known ones.</exception>
    public static Cost FromName(string name) =>
        Registry.TryGetValue(name.Trim(), out var c) ? c
        : throw new NablaException($"unknown cost '{name}'; known: {string.Join(", ", KnownNames)}");
}

/// <summary>Eq. 27: C_x = ½‖y − a^L‖²; ∇_a C_x = a^L − y (so BP1 becomes Eq. 30).</summary>
public sealed class QuadraticCost : Cost
{
    /// <inheritdoc/>
    public override string Name => "quadratic";

    /// <inheritdoc/>
    public override T Total<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y)
    {
        T sum = T.Zero;
        for (int i = 0; i < a.Length; i++)
        {
            T d = a[i] - y[i];
            sum += d * d;
        }
        return sum / (T.One + T.One);
    }

    /// <inheritdoc/>
    public override void Gradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y, Span<T> gradient) => TensorPrimitives.Subtract(a, y, gradient);
}

/// <summary>
/// C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]; ∇_a C_x = (a − y) / (a(1 − a)).
/// With sigmoid outputs σ' = a(1 − a) cancels and BP1 is δ^L = a^L − y (chapter 3), so a saturated
/// output neuron that is wrong still learns fast.
/// </summary>
public sealed class CrossEntropyCost : Cost
{
    /// <inheritdoc/>
    public override string Name => "cross-entropy";

    /// <inheritdoc/>
    public override T Total<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y)
    {
        T sum = T.Zero;
        for (int i = 0; i < a.Length; i++)
        {
            // A term whose coefficient is 0 is 0, also where its log is −∞ (0·ln 0 = 0 in the limit).
            if (y[i] != T.Zero) sum -= y[i] * T.Log(a[i]);
            if (y[i] != T.One) sum -= (T.One - y[i]) * T.Log(T.One - a[i]);
        }
        return sum;
    }

    /// <inheritdoc/>
    public override void Gradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y, Span<T> gradient)
    {
        for (int i = 0; i < a.Length; i++)
            gradient[i] = (a[i] - y[i]) / (a[i] * (T.One - a[i]));
    }

    /// <summary>ln a and ln(1 − a) need outputs in (0, 1): sigmoid (or softmax) outputs; tanh, ReLU, softplus and identity leave it.</summary>
    public override void CheckOutputActivation(Activation output)
    {
        if (output is TanhActivation or ReLUActivation or SoftplusActivation or IdentityActivation)
            throw new NablaException($"the cross-entropy cost needs outputs in (0, 1), but the output layer's {output.Name} can leave that range; " +
                                     "use sigmoid for the output layer (or softmax with the log-likelihood cost)");
    }

    /// <summary>BP1; with a sigmoid output layer σ' = a(1 − a) cancels and δ^L = a^L − y, which stays finite where a saturates at 0 or 1.</summary>
    public override void OutputError<T>(Activation outputActivation, ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> y, Span<T> delta, int width)
    {
        if (outputActivation is SigmoidActivation)
            TensorPrimitives.Subtract(a, y, delta); // ∇_a C ⊙ σ'(z) with a(1 − a) cancelled
        else
            base.OutputError(outputActivation, z, a, y, delta, width);
    }
}
