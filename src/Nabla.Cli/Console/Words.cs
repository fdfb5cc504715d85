using System.Globalization;
using System.Numerics;

namespace Nabla.Cli;

/// <summary>
/// The CLI's own words for what it prints: the names its options take (float32, standard-normal, l2), never .NET's
/// (Single, StandardNormal, L2), and counts with the noun in the right number ("1 epoch", "2 epochs").
/// </summary>
internal static class Words
{
    /// <summary>The --precision name of <typeparamref name="T"/>.</summary>
    public static string Precision<T>() => typeof(T) == typeof(float) ? "float32" : typeof(T) == typeof(double) ? "float64"
        : throw new NotSupportedException("Nabla trains in float32 or float64");

    /// <summary>The --init names, each with the initialisation it stands for; the first name is the one printed.</summary>
    public static readonly (string Name, Initialization Init)[] Inits =
    [
        ("standard-normal", Initialization.StandardNormal), ("scaled-normal", Initialization.ScaledNormal),
        ("standard", Initialization.StandardNormal), ("normal", Initialization.StandardNormal), ("scaled", Initialization.ScaledNormal),
    ];

    public static string Init(Initialization init) => Inits.First(i => i.Init == init).Name;

    /// <summary>The --regularization name: none, l2 or l1.</summary>
    public static string RegularizationKind(Regularization r) => r.IsActive ? r.Kind.ToString().ToLowerInvariant() : "none";

    /// <summary>"none" or "l2, λ = 5", as the options spell it.</summary>
    public static string Regularization(Regularization r) =>
        r.IsActive ? string.Create(CultureInfo.InvariantCulture, $"{RegularizationKind(r)}, λ = {r.Lambda}") : "none";

    /// <summary>"1 epoch", "30 epochs", "10,000 examples": the count with thousands separators and the noun in the right number.</summary>
    public static string Count(long count, string noun, string? plural = null) =>
        $"{count:N0} {(count == 1 ? noun : plural ?? noun + "s")}";

    /// <summary>A network as the options describe it: "[784, 30, 10], sigmoid" (activations by layer when they differ).</summary>
    public static string Network<T>(Network<T> network) where T : unmanaged, IFloatingPointIeee754<T> =>
        $"[{string.Join(", ", network.Sizes)}], {string.Join("/", network.Activations.Select(a => a.Name).Distinct())}";
}
