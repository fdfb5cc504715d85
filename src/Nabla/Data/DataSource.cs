using System.Globalization;

namespace Nabla.Data;

/// <summary>The three parts of an MNIST-format data set, and where they came from.</summary>
public sealed class MnistData
{
    /// <summary>The examples to train on: the training file less its last sixth.</summary>
    public required Dataset Training { get; init; }
    /// <summary>The last sixth of the training file, held out (the book's 50,000 / 10,000 split).</summary>
    public required Dataset Validation { get; init; }
    /// <summary>The t10k files.</summary>
    public required Dataset Test { get; init; }
    /// <summary>The directory the four files were read from.</summary>
    public required string Directory { get; init; }
    /// <summary>One sentence for people: which data, from where, how many examples in each part.</summary>
    public required string Description { get; init; }
    /// <summary>True when the small sample shipped with Nabla was used because nothing better was found.</summary>
    public required bool IsBundledSample { get; init; }
}

/// <summary>Finds and loads (Fashion-)MNIST in IDX format.</summary>
public static class DataSource
{
    /// <summary>Where Debian's package <c>dataset-fashion-mnist</c> installs the full set.</summary>
    public const string SystemDirectory = "/usr/share/datasets/fashion-mnist";

    private static readonly string SampleRelativePath = Path.Combine("data", "fashion-mnist-sample");

    private static readonly string[] FileStems =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>
    /// Loads the data from <paramref name="dataDirectory"/> when given; otherwise from <see cref="SystemDirectory"/>
    /// when it holds all four files; otherwise from the sample bundled with Nabla. Validation is the last sixth of
    /// the training file (60,000 → 50,000 + 10,000, as in the book).
    /// </summary>
    /// <param name="dataDirectory">The folder to read, or null to search.</param>
    /// <param name="limits">Caps on what each IDX header may claim (<see cref="IdxLimits.Default"/> when null).</param>
    /// <exception cref="NablaException">The directory lacks files (they are named), or no data is found at all.</exception>
    /// <exception cref="InvalidFileException">A file is damaged or over the limits.</exception>
    public static MnistData Locate(string? dataDirectory, IdxLimits? limits = null) => Locate(dataDirectory, SystemDirectory, limits);

    /// <summary>As <see cref="Locate(string?, IdxLimits?)"/>, with the system directory replaceable so tests can skip it.</summary>
    internal static MnistData Locate(string? dataDirectory, string systemDirectory, IdxLimits? limits = null)
    {
        if (dataDirectory is not null)
        {
            if (!System.IO.Directory.Exists(dataDirectory))
                throw new NablaException($"data directory {dataDirectory} does not exist");
            var files = FindFiles(dataDirectory, out var missing);
            if (files is null)
                throw new NablaException(
                    $"data directory {dataDirectory} lacks {string.Join(", ", missing)} (plain or .gz; 'train-images.idx3-ubyte' spelling also accepted)");
            return Load(dataDirectory, files, isSample: false, "MNIST-format data", limits);
        }

        var system = FindFiles(systemDirectory, out _);
        if (system is not null)
            return Load(systemDirectory, system, isSample: false, "Fashion-MNIST", limits);

        foreach (var candidate in SampleCandidates())
        {
            var sample = FindFiles(candidate, out _);
            if (sample is not null)
                return Load(candidate, sample, isSample: true, "the bundled Fashion-MNIST sample", limits);
        }

        throw new NablaException(
            $"no Fashion-MNIST data found: not in {systemDirectory}, and the bundled sample ({SampleRelativePath}) is missing; " +
            "install Debian's package dataset-fashion-mnist or pass --data DIR");
    }

    /// <summary>The four paths in <see cref="FileStems"/> order, or null with the missing names.</summary>
    private static string[]? FindFiles(string directory, out List<string> missing)
    {
        missing = [];
        var found = new string[FileStems.Length];
        for (int i = 0; i < FileStems.Length; i++)
        {
            string stem = FileStems[i];
            // "train-images-idx3-ubyte" is also distributed as "train-images.idx3-ubyte".
            string dotted = stem.Replace("-idx", ".idx", StringComparison.Ordinal);
            string? path = new[] { stem, stem + ".gz", dotted, dotted + ".gz" }
                .Select(name => Path.Combine(directory, name))
                .FirstOrDefault(File.Exists);
            if (path is null)
                missing.Add(stem);
            else
                found[i] = path;
        }
        return missing.Count == 0 ? found : null;
    }

    private static IEnumerable<string> SampleCandidates()
    {
        yield return Path.Combine(AppContext.BaseDirectory, SampleRelativePath);
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                yield return Path.Combine(dir.FullName, SampleRelativePath);
        }
    }

    private static MnistData Load(string directory, string[] files, bool isSample, string what, IdxLimits? limits)
    {
        var (trainImages, trainLabels) = Dataset.ReadPair(files[0], files[1], limits);
        var (testImages, testLabels) = Dataset.ReadPair(files[2], files[3], limits);
        if (testImages.Rows != trainImages.Rows || testImages.Columns != trainImages.Columns)
            throw new InvalidFileException(files[2], 8,
                $"images are {testImages.Rows}×{testImages.Columns} but the training images in {files[0]} are {trainImages.Rows}×{trainImages.Columns}");

        int validationCount = trainImages.Count / 6;
        int trainingCount = trainImages.Count - validationCount;
        var training = Dataset.FromPixels(trainImages, trainLabels, 0, trainingCount);
        var validation = Dataset.FromPixels(trainImages, trainLabels, trainingCount, validationCount);
        var test = Dataset.FromPixels(testImages, testLabels, 0, testImages.Count);

        var inv = CultureInfo.InvariantCulture;
        string description = string.Format(inv, "{0} from {1} ({2:N0} training, {3:N0} validation, {4:N0} test)",
            what, directory, training.Count, validation.Count, test.Count);
        if (isSample)
            description += "; for the full set install Debian's package dataset-fashion-mnist or pass --data DIR";

        return new MnistData
        {
            Training = training,
            Validation = validation,
            Test = test,
            Directory = directory,
            Description = description,
            IsBundledSample = isSample,
        };
    }
}
