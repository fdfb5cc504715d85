namespace Nabla.Tests.Core;

/// <summary>Small random networks and examples for the gradient tests, all from fixed seeds.</summary>
internal static class TestNetworks
{
    public static readonly Activation Arctan = Activation.Custom("arctan", Math.Atan, z => 1 / (1 + z * z));

    public static IEnumerable<Activation> AllActivations() =>
        [Activation.Sigmoid, Activation.Tanh, Activation.ReLU, Activation.Identity, Activation.Softplus, Arctan];

    public static IEnumerable<Cost> AllCosts() => [Cost.Quadratic, Cost.CrossEntropy];

    /// <summary>
    /// A network whose hidden layers use <paramref name="hidden"/>. The output layer uses it too, except
    /// for cross-entropy, which is defined only for outputs in (0, 1) and so gets sigmoid outputs.
    /// </summary>
    public static Network<double> Make(int[] sizes, Activation hidden, Cost cost, int seed)
    {
        var activations = Enumerable.Repeat(hidden, sizes.Length - 1).ToArray();
        if (cost is CrossEntropyCost) activations[^1] = Activation.Sigmoid;
        // Scaled init keeps the random net away from saturation, where gradients vanish and relative error means little.
        return new Network<double>(sizes, activations, Initialization.ScaledNormal, seed);
    }

    public static double[] RandomVector(Random random, int n, double low = -1, double high = 1) =>
        Enumerable.Range(0, n).Select(_ => low + (high - low) * random.NextDouble()).ToArray();

    /// <summary>A target in (0, 1): valid for every cost.</summary>
    public static double[] RandomTarget(Random random, int n) => RandomVector(random, n, 0.05, 0.95);

    /// <summary>max over entries of |a − b| / max(|a|, |b|, floor): relative error, with a floor so that a gradient of ~0 is compared absolutely.</summary>
    public static double MaxRelativeError(IEnumerable<double> a, IEnumerable<double> b, double floor = 1e-6) =>
        a.Zip(b, (p, q) => Math.Abs(p - q) / Math.Max(Math.Max(Math.Abs(p), Math.Abs(q)), floor)).Max();

    public static double MaxAbsoluteDifference(IEnumerable<double> a, IEnumerable<double> b) => a.Zip(b, (p, q) => Math.Abs(p - q)).Max();
}
