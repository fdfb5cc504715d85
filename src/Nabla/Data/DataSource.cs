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
    /// <summary>The images' size and the classes' names (Fashion-MNIST's, when the data is Fashion-MNIST), for the model file.</summary>
    public required ImageInputs Images { get; init; }
}

/// <summary>The test files of an MNIST-format data set alone, for what only evaluates (<see cref="DataSource.LocateTest(string?, IdxLimits?)"/>).</summary>
public sealed record MnistTestData(Dataset Test, string Directory, string Description, bool IsBundledSample);

/// <summary>Finds and loads (Fashion-)MNIST in IDX format.</summary>
public static class DataSource
{
    /// <summary>Where Debian's package <c>dataset-fashion-mnist</c> installs the full set.</summary>
    public const string SystemDirectory = "/usr/share/datasets/fashion-mnist";

    private static readonly string SampleRelativePath = Path.Combine("data", "fashion-mnist-sample");

    private static readonly string[] FileStems =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    private static readonly string[] TestFileStems = FileStems[2..];

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
        var (directory, files, isSample, what) = Find(dataDirectory, systemDirectory, FileStems);
        return Load(directory, files, isSample, what, limits);
    }

    /// <summary>
    /// As <see cref="Locate(string?, IdxLimits?)"/>, but only the two test files (t10k-*) are needed and read: a folder that holds
    /// only them will do, for what only evaluates a network.
    /// </summary>
    public static MnistTestData LocateTest(string? dataDirectory, IdxLimits? limits = null) => LocateTest(dataDirectory, SystemDirectory, limits);

    internal static MnistTestData LocateTest(string? dataDirectory, string systemDirectory, IdxLimits? limits = null)
    {
        var (directory, files, isSample, what) = Find(dataDirectory, systemDirectory, TestFileStems);
        var (images, labels) = Dataset.ReadPair(files[0], files[1], limits);
        var test = Dataset.FromPixels(images, labels, 0, images.Count);
        string description = string.Format(CultureInfo.InvariantCulture, "{0} from {1} ({2:N0} test)", what, directory, test.Count);
        return new MnistTestData(test, directory, description, isSample);
    }

    /// <summary>The folder to read and its files named by <paramref name="stems"/>: --data, else the system's, else the bundled sample.</summary>
    private static (string Directory, string[] Files, bool IsSample, string What) Find(string? dataDirectory, string systemDirectory, string[] stems)
    {
        if (dataDirectory is not null)
        {
            if (!System.IO.Directory.Exists(dataDirectory))
                throw new NablaException($"data directory {dataDirectory} does not exist");
            var files = FindFiles(dataDirectory, stems, out var missing);
            if (files is null)
                throw new NablaException(
                    $"data directory {dataDirectory} lacks {string.Join(", ", missing)} (plain or .gz; 'train-images.idx3-ubyte' spelling also accepted)");
            return (dataDirectory, files, false, "MNIST-format data");
        }

        var system = FindFiles(systemDirectory, stems, out _);
        if (system is not null)
            return (systemDirectory, system, false, "Fashion-MNIST");

        foreach (var candidate in SampleCandidates())
        {
            var sample = FindFiles(candidate, stems, out _);
            if (sample is not null)
                return (candidate, sample, true, "the bundled Fashion-MNIST sample");
        }

        throw new NablaException(
            $"no Fashion-MNIST data found: not in {systemDirectory}, and the bundled sample ({SampleRelativePath}) is missing; " +
            "install Debian's package dataset-fashion-mnist or pass --data DIR");
    }

    /// <summary>The paths of <paramref name="stems"/>, in order, or null with the missing names.</summary>
    private static string[]? FindFiles(string directory, string[] stems, out List<string> missing)
    {
        missing = [];
        var found = new string[stems.Length];
        for (int i = 0; i < stems.Length; i++)
        {
            string stem = stems[i];
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

    /// <summary>
    /// Fashion-MNIST's class names for the system's copy, the bundled sample, or a folder whose name says "fashion"; the
    /// labels' numbers for anything else (MNIST's digits are their own names).
    /// </summary>
    private static IReadOnlyList<string> ClassNames(string directory, bool fashion) =>
        fashion || directory.Contains("fashion", StringComparison.OrdinalIgnoreCase)
            ? ImageInputs.FashionMnistClasses
            : ImageInputs.NumberedClasses(Dataset.MnistClassCount);

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
            Images = new ImageInputs(trainImages.Rows, trainImages.Columns, ClassNames(directory, isSample || what == "Fashion-MNIST")),
        };
    }
}
