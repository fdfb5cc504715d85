using Nabla.Data;

namespace Nabla.Studio.Engine;

/// <summary>
/// Playground mode's 2-D data sets, as TensorFlow Playground draws them (circle, xor, gauss, spiral; points in
/// [−6, 6]², two classes), with noise and a train/test split, turned into input features. The one place where the
/// Studio makes a <see cref="Dataset"/> of its own: the same seed gives the same points.
/// </summary>
public sealed class ToyData
{
    public static readonly string[] SetNames = ["circle", "xor", "gauss", "spiral"];
    public static readonly string[] FeatureNames = ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin(x1)", "sin(x2)"];
    /// <summary>The square the points and the decision-boundary grid cover.</summary>
    public const double Extent = 6;

    public string Name { get; }
    public string[] Features { get; }
    /// <summary>The points (x1, x2) and labels, training points first.</summary>
    public (double X1, double X2, int Label)[] Points { get; }
    public int TrainCount { get; }
    public Dataset Training { get; }
    public Dataset Test { get; }

    private ToyData(string name, string[] features, (double, double, int)[] points, int trainCount)
    {
        (Name, Features, Points, TrainCount) = (name, features, points, trainCount);
        Training = ToDataset(points.AsSpan(0, trainCount));
        Test = ToDataset(points.AsSpan(trainCount));
    }

    /// <summary>
    /// <paramref name="points"/> points of set <paramref name="name"/>, noise in percent (0–50), <paramref name="ratio"/> percent
    /// of them for training. Throws <see cref="NablaException"/> naming a bad argument.
    /// </summary>
    public static ToyData Make(string name, int points, double noise, int ratio, IReadOnlyList<string> features, int seed)
    {
        string set = name.ToLowerInvariant();
        if (!SetNames.Contains(set)) throw new NablaException($"data: '{name}' is not mnist or a Playground set ({string.Join(", ", SetNames)})");
        if (points is < 20 or > 5000) throw new NablaException($"points: must be 20 to 5000, got {points}");
        if (!(noise >= 0 && noise <= 50)) throw new NablaException($"noise: must be 0 to 50 (percent), got {noise}");
        if (ratio is < 10 or > 90) throw new NablaException($"ratio: the training share must be 10 to 90 (percent), got {ratio}");
        if (features.Count == 0) throw new NablaException($"features: choose at least one of {string.Join(", ", FeatureNames)}");
        var chosen = features.Select(f => FeatureNames.FirstOrDefault(n => n.Equals(f.Replace("²", "^2").Replace(" ", ""), StringComparison.OrdinalIgnoreCase))
            ?? throw new NablaException($"features: '{f}' is not one of {string.Join(", ", FeatureNames)}")).Distinct().ToArray();
        var random = new Random(seed);
        var all = set switch
        {
            "circle" => Circle(points, noise / 100, random),
            "xor" => Xor(points, noise / 100, random),
            "gauss" => Gauss(points, noise / 100, random),
            _ => Spiral(points, noise / 100, random),
        };
        random.Shuffle(all);
        int train = Math.Clamp((int)Math.Round(points * ratio / 100.0), 1, points - 1);
        return new ToyData(set, chosen, all, train);
    }

    /// <summary>The input vector of the point (x1, x2): the chosen features, in order.</summary>
    public void FeaturesOf(double x1, double x2, Span<double> into)
    {
        for (int i = 0; i < Features.Length; i++)
            into[i] = Features[i] switch
            {
                "x1" => x1,
                "x2" => x2,
                "x1^2" => x1 * x1,
                "x2^2" => x2 * x2,
                "x1x2" => x1 * x2,
                "sin(x1)" => Math.Sin(x1),
                _ => Math.Sin(x2),
            };
    }

    private Dataset ToDataset(ReadOnlySpan<(double X1, double X2, int Label)> points)
    {
        var inputs = new float[points.Length * Features.Length];
        var labels = new int[points.Length];
        Span<double> f = stackalloc double[Features.Length];
        for (int i = 0; i < points.Length; i++)
        {
            FeaturesOf(points[i].X1, points[i].X2, f);
            for (int k = 0; k < f.Length; k++) inputs[i * f.Length + k] = (float)f[k];
            labels[i] = points[i].Label;
        }
        return new Dataset(inputs, labels, Features.Length, classCount: 2);
    }

    private static double Uniform(Random r, double a, double b) => a + r.NextDouble() * (b - a);

    private static double Normal(Random r, double mean, double deviation)
    {
        double u1 = 1.0 - r.NextDouble(), u2 = r.NextDouble();
        return mean + deviation * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    // Class 1 inside radius 2.5, class 0 on a ring from 3.5 to 5; noise moves a point before it is labelled.
    private static (double, double, int)[] Circle(int n, double noise, Random r)
    {
        const double radius = 5;
        var points = new (double, double, int)[n];
        for (int i = 0; i < n; i++)
        {
            bool inside = i < n / 2;
            double rho = inside ? Uniform(r, 0, radius * 0.5) : Uniform(r, radius * 0.7, radius);
            double angle = Uniform(r, 0, 2 * Math.PI);
            double x = rho * Math.Sin(angle), y = rho * Math.Cos(angle);
            double nx = Uniform(r, -radius, radius) * noise, ny = Uniform(r, -radius, radius) * noise;
            int label = Math.Sqrt((x + nx) * (x + nx) + (y + ny) * (y + ny)) < radius * 0.5 ? 1 : 0;
            points[i] = (x, y, label);
        }
        return points;
    }

    // The quadrants: class 1 where x1·x2 ≥ 0.
    private static (double, double, int)[] Xor(int n, double noise, Random r)
    {
        const double padding = 0.3;
        var points = new (double, double, int)[n];
        for (int i = 0; i < n; i++)
        {
            double x = Uniform(r, -5, 5), y = Uniform(r, -5, 5);
            x += x > 0 ? padding : -padding;
            y += y > 0 ? padding : -padding;
            double nx = Uniform(r, -5, 5) * noise, ny = Uniform(r, -5, 5) * noise;
            points[i] = (x, y, (x + nx) * (y + ny) >= 0 ? 1 : 0);
        }
        return points;
    }

    // Two Gaussian clouds around (2, 2) and (−2, −2); noise widens them.
    private static (double, double, int)[] Gauss(int n, double noise, Random r)
    {
        double deviation = 0.5 + noise * 2 * 3.5; // 0.5 at no noise, 4 at 50 %
        var points = new (double, double, int)[n];
        for (int i = 0; i < n; i++)
        {
            int label = i < n / 2 ? 1 : 0;
            double c = label == 1 ? 2 : -2;
            points[i] = (Normal(r, c, deviation), Normal(r, c, deviation), label);
        }
        return points;
    }

    // Two interleaved arms, each turning 1.75 times around the origin.
    private static (double, double, int)[] Spiral(int n, double noise, Random r)
    {
        var points = new (double, double, int)[n];
        int half = n / 2;
        for (int i = 0; i < n; i++)
        {
            int label = i < half ? 1 : 0;
            int k = label == 1 ? i : i - half;
            int count = label == 1 ? half : n - half;
            double rho = (double)k / count * 5;
            double t = 1.75 * k / count * 2 * Math.PI + (label == 1 ? 0 : Math.PI);
            points[i] = (rho * Math.Sin(t) + Uniform(r, -1, 1) * noise, rho * Math.Cos(t) + Uniform(r, -1, 1) * noise, label);
        }
        return points;
    }
}
