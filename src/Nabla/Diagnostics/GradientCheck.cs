using System.Diagnostics;

namespace Nabla.Diagnostics;

/// <summary>Settings of a gradient check.</summary>
public sealed record GradientCheckOptions
{
    /// <summary>ε for central differences: error O(ε²) ≈ 1e-10, rounding ≈ 1e-16/ε ≈ 1e-11.</summary>
    public double CentralEpsilon { get; init; } = 1e-5;
    /// <summary>ε for Eq. 46's forward differences: error O(ε) and rounding 1e-16/ε balance near 1e-8.</summary>
    public double ForwardEpsilon { get; init; } = 1e-7;
    /// <summary>The check passes when the largest central-difference relative error is at most this (a right [784, 30, 10] gives ~1e-7; a real bug gives 1e-3 or more).</summary>
    public double CentralTolerance { get; init; } = 1e-5;
    /// <summary>…and the largest forward-difference relative error is at most this (forward differences are only first-order accurate).</summary>
    public double ForwardTolerance { get; init; } = 1e-3;
    /// <summary>
    /// Relative error is |g − g̃| / max(|g|, |g̃|, floor): below the floor a gradient is compared absolutely, because a
    /// gradient of ~0 has no meaningful relative error (rounding alone gives ~1e-11 absolute).
    /// </summary>
    public double Floor { get; init; } = 1e-4;
    /// <summary>Check only this many parameters, drawn without replacement from <see cref="Seed"/>; null checks every one.</summary>
    public int? Sample { get; init; }
    /// <summary>Seed of the draw of parameters when <see cref="Sample"/> is set: the same seed checks the same ones.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>Relative errors of one layer's parameters: forward and central differences against backprop.</summary>
public sealed record LayerCheck(int Layer, int ParametersChecked, double MaxRelativeErrorCentral, double MeanRelativeErrorCentral,
    double MaxRelativeErrorForward, double MeanRelativeErrorForward);

/// <summary>The largest central-difference disagreement found, for the report.</summary>
public sealed record WorstParameter(string Parameter, double Backprop, double Central, double Forward, double RelativeErrorCentral)
{
    /// <summary>Which parameter, in words (<see cref="Diagnostics.Parameter.Describe"/>).</summary>
    public string Description { get; init; } = "";
}

/// <summary>The outcome of a gradient check.</summary>
public sealed record GradientCheckResult(
    IReadOnlyList<LayerCheck> Layers, int ParametersChecked, int ParameterCount,
    double MaxRelativeErrorCentral, double MaxRelativeErrorForward, WorstParameter? Worst, GradientCheckOptions Options)
{
    /// <summary>The figure the check is judged on: the largest central-difference relative error.</summary>
    public double MaxRelativeError => MaxRelativeErrorCentral;
    /// <summary>True when both the central and the forward differences agree with the gradient within <see cref="Options"/>' tolerances.</summary>
    public bool Passed => MaxRelativeErrorCentral <= Options.CentralTolerance && MaxRelativeErrorForward <= Options.ForwardTolerance;
}

/// <summary>
/// Checks backprop's gradient against finite differences (Eq. 46), parameter by parameter, in float64:
/// the test that the four equations were implemented right.
/// </summary>
public static class GradientCheck
{
    /// <summary>Backprop's gradient for (x, y) checked against forward and central differences.</summary>
    public static GradientCheckResult Run(Network<double> network, ReadOnlySpan<double> x, ReadOnlySpan<double> y, Cost cost, GradientCheckOptions? options = null) =>
        Run(network, x, y, cost, network.Backprop(x, y, cost), options);

    /// <summary>A given gradient (normally backprop's; a test may pass a wrong one) checked against finite differences.</summary>
    public static GradientCheckResult Run(Network<double> network, ReadOnlySpan<double> x, ReadOnlySpan<double> y, Cost cost,
        Gradient<double> gradient, GradientCheckOptions? options = null)
    {
        options ??= new GradientCheckOptions();
        var parameters = Choose(network.Sizes, network.ParameterCount, options);
        double cx = FiniteDifferences.ExampleCost(network, x, y, cost);
        var central = new List<double>[network.L + 1];
        var forward = new List<double>[network.L + 1];
        for (int l = 1; l <= network.L; l++) (central[l], forward[l]) = ([], []);
        WorstParameter? worst = null;
        foreach (var p in parameters)
        {
            double g = p.In(gradient);
            double gc = FiniteDifferences.Derivative(network, p, x, y, cost, options.CentralEpsilon, DifferenceScheme.Central);
            double gf = FiniteDifferences.Derivative(network, p, x, y, cost, options.ForwardEpsilon, DifferenceScheme.Forward, cx);
            double ec = RelativeError(g, gc, options.Floor), ef = RelativeError(g, gf, options.Floor);
            central[p.Layer].Add(ec);
            forward[p.Layer].Add(ef);
            if (worst is null || !(ec <= worst.RelativeErrorCentral)) worst = new WorstParameter(p.ToString(), g, gc, gf, ec) { Description = p.Describe() };
        }
        var layers = Enumerable.Range(1, network.L).Where(l => central[l].Count > 0)
            .Select(l => new LayerCheck(l, central[l].Count, central[l].Max(), central[l].Average(), forward[l].Max(), forward[l].Average()))
            .ToArray();
        return new GradientCheckResult(layers, parameters.Count, network.ParameterCount,
            layers.Length == 0 ? 0 : layers.Max(c => c.MaxRelativeErrorCentral), layers.Length == 0 ? 0 : layers.Max(c => c.MaxRelativeErrorForward),
            worst, options);
    }

    /// <summary>|a − b| / max(|a|, |b|, floor); NaN anywhere gives +∞, so a NaN gradient fails the check.</summary>
    public static double RelativeError(double a, double b, double floor)
    {
        double e = Math.Abs(a - b) / Math.Max(Math.Max(Math.Abs(a), Math.Abs(b)), floor);
        return double.IsNaN(e) ? double.PositiveInfinity : e;
    }

    /// <summary>Every parameter, or a seeded sample of them drawn without replacement (Floyd's algorithm: no list of all parameters).</summary>
    private static List<Parameter> Choose(IReadOnlyList<int> sizes, int count, GradientCheckOptions options)
    {
        if (options.Sample is not int n || n >= count) return FiniteDifferences.AllParameters(sizes).ToList();
        if (n < 1) throw new NablaException($"the sample of parameters to check must be at least 1, got {n}");
        var random = new Random(options.Seed);
        var chosen = new SortedSet<int>();
        for (int i = count - n; i < count; i++)
        {
            int t = random.Next(i + 1);
            chosen.Add(chosen.Contains(t) ? i : t);
        }
        return chosen.Select(index => ParameterAt(sizes, index)).ToList();
    }

    /// <summary>The parameter at position <paramref name="index"/> of <see cref="FiniteDifferences.AllParameters"/>'s order.</summary>
    internal static Parameter ParameterAt(IReadOnlyList<int> sizes, int index)
    {
        for (int l = 1; l < sizes.Count; l++)
        {
            if (index < sizes[l]) return Parameter.Bias(l, index);
            index -= sizes[l];
            int weights = sizes[l] * sizes[l - 1];
            if (index < weights) return Parameter.Weight(l, index / sizes[l - 1], index % sizes[l - 1]);
            index -= weights;
        }
        throw new ArgumentOutOfRangeException(nameof(index));
    }
}

/// <summary>What <see cref="GradientTiming.Measure"/> found: why backprop is fast (the chapter's "speed" section).</summary>
public sealed record GradientTimingResult(
    int ParameterCount, int Weights, double BackpropSeconds, double FiniteDifferenceSeconds, long ForwardPassesBackprop, long BackwardPassesBackprop,
    long ForwardPassesFiniteDifference, DifferenceScheme Scheme, double SecondsPerForwardPass,
    double MillionWeightsFiniteDifferenceSecondsExtrapolated, double MillionWeightsBackpropSecondsExtrapolated)
{
    /// <summary>How many times longer the finite-difference gradient took than backprop's.</summary>
    public double Ratio => FiniteDifferenceSeconds / BackpropSeconds;
}

/// <summary>Times one backprop gradient against the full finite-difference gradient of the same network and example.</summary>
public static class GradientTiming
{
    /// <summary>
    /// Backprop is timed, after a warm-up, as the best of many runs (one run takes micro- to milliseconds, so it is mostly noise); the
    /// finite-difference gradient (2 forward passes per parameter for central differences) is timed once, in full.
    /// The million-weight figures are extrapolated, assuming a forward pass costs in proportion to the number of weights.
    /// </summary>
    public static GradientTimingResult Measure(Network<double> network, ReadOnlySpan<double> x, ReadOnlySpan<double> y, Cost cost,
        DifferenceScheme scheme = DifferenceScheme.Central, double epsilon = 1e-5)
    {
        // Warm up for half a second, so that the JIT's tiered compilation has put in its optimised code before timing.
        // Both sides write into a gradient made once, so neither is timed allocating it.
        var gradient = new Gradient<double>(network.Sizes);
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed.TotalSeconds < 0.5) { network.Backprop(x, y, cost, gradient); FiniteDifferences.ExampleCost(network, x, y, cost); }
        double backprop = double.PositiveInfinity;
        var total = Stopwatch.StartNew();
        for (int run = 0; run < 1000 && (run < 5 || total.Elapsed.TotalSeconds < 0.5); run++)
        {
            var clock = Stopwatch.StartNew();
            network.Backprop(x, y, cost, gradient);
            backprop = Math.Min(backprop, clock.Elapsed.TotalSeconds);
        }
        var fdClock = Stopwatch.StartNew();
        FiniteDifferences.Estimate(network, x, y, cost, epsilon, scheme);
        double fd = fdClock.Elapsed.TotalSeconds;

        int n = network.ParameterCount;
        int weights = Enumerable.Range(1, network.L).Sum(l => network.Sizes[l] * network.Sizes[l - 1]);
        long passes = FiniteDifferences.ForwardPasses(scheme, n);
        double perPass = fd / passes;
        // The chapter's case: a million weights. A forward pass then costs ~1e6/weights times ours, and finite differences need
        // (per the scheme) ~1e6 or 2e6 of them; backprop's one forward + one backward pass scales by the same factor once.
        const double million = 1e6;
        double scale = million / weights;
        return new GradientTimingResult(n, weights, backprop, fd, 1, 1, passes, scheme, perPass,
            FiniteDifferences.ForwardPasses(scheme, (long)million) * perPass * scale, backprop * scale);
    }
}
