using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nabla.Data;

/// <summary>What to do with an empty cell.</summary>
public enum MissingValues
{
    /// <summary>Stop with an error naming the row and column (the default: nothing is guessed silently).</summary>
    Error,
    /// <summary>Fill a feature with its training mean (a text feature with its categories' training frequencies); a missing target is still an error.</summary>
    Mean,
    /// <summary>Leave out every row with an empty feature or target cell (when training; at prediction time an empty cell is an error).</summary>
    Drop,
}

/// <summary>What a table's target is.</summary>
public enum TableTask
{
    /// <summary>One column of classes (text, or whole numbers): a softmax over the classes.</summary>
    Classification,
    /// <summary>One or more columns of real values.</summary>
    Regression,
}

/// <summary>Which columns of a table to learn from and to predict, and how to treat empty cells.</summary>
public sealed record TableSettings
{
    /// <summary>The column(s) to predict: one class column, or one or more numeric columns.</summary>
    public required IReadOnlyList<string> Targets { get; init; }
    /// <summary>The input columns; null: every column that is not a target.</summary>
    public IReadOnlyList<string>? Features { get; init; }
    /// <summary>What to do with an empty cell; by default an error.</summary>
    public MissingValues Missing { get; init; } = MissingValues.Error;
    /// <summary>Classification or regression; null decides from the target: text, or whole numbers with at most
    /// <see cref="TablePreprocessing.MaxAutomaticClasses"/> distinct values, are classes; other numbers are regression.</summary>
    public TableTask? Task { get; init; }
}

/// <summary>How one input column becomes network inputs: a standardised number, or a one-hot block for text.</summary>
public sealed class FeatureEncoding
{
    internal FeatureEncoding(string name, ColumnKind kind, double mean, double standardDeviation, string[] categories, double[] frequencies, int offset)
    {
        (Name, Kind, Mean, StandardDeviation, Categories, Frequencies, Offset) = (name, kind, mean, standardDeviation, categories, frequencies, offset);
        _inverseDeviation = 1 / standardDeviation;
        _lookup = new Dictionary<string, int>(categories.Length, StringComparer.Ordinal);
        for (int i = 0; i < categories.Length; i++) _lookup.TryAdd(categories[i], i);
        _spanLookup = _lookup.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private readonly Dictionary<string, int> _lookup;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanLookup;
    private readonly double _inverseDeviation;

    /// <summary>The input column's name.</summary>
    public string Name { get; }
    /// <summary>Numeric (one standardised input) or text (one-hot, <see cref="Width"/> inputs).</summary>
    public ColumnKind Kind { get; }
    /// <summary>For a numeric column, the training mean (input = (x − mean) / standard deviation).</summary>
    public double Mean { get; }
    /// <summary>For a numeric column, the training standard deviation (population, as scikit-learn's StandardScaler); 1 for a constant column.</summary>
    public double StandardDeviation { get; }
    /// <summary>For a text column, the categories seen in training, one input each (one-hot); a value not among them gives all zeros.</summary>
    public IReadOnlyList<string> Categories { get; }
    /// <summary>For a text column, each category's share of the training rows: the "mean" filled in for an empty cell.</summary>
    public IReadOnlyList<double> Frequencies { get; }
    /// <summary>The first network input this column fills.</summary>
    public int Offset { get; }
    /// <summary>How many network inputs this column fills: 1, or the number of categories.</summary>
    public int Width => Kind == ColumnKind.Numeric ? 1 : Categories.Count;

    /// <summary>The category's one-hot position, or −1 when training never saw it.</summary>
    public int CategoryIndex(string category) => _lookup.TryGetValue(category, out int i) ? i : -1;
    /// <summary>As <see cref="CategoryIndex(string)"/>, for text that is not (yet) a string.</summary>
    public int CategoryIndex(ReadOnlySpan<char> category) => _spanLookup.TryGetValue(category, out int i) ? i : -1;

    /// <summary>Standardises one number: (x − mean) / standard deviation, computed in double (times 1 / deviation) and rounded once.</summary>
    public float Standardize(float x) => (float)((x - Mean) * _inverseDeviation);
}

/// <summary>
/// Everything between a table and a network, learnt on the training rows only and saved in the model file's metadata
/// (<see cref="MetadataKey"/>) so that a model applies it by itself when it predicts: which columns are inputs and how each
/// becomes network inputs (numbers standardised, text one-hot), what empty cells become, and what the outputs mean (the
/// class names; or, for regression, the targets' mean and standard deviation: the network learns standardised targets and
/// its outputs are scaled back).
/// </summary>
public sealed class TablePreprocessing
{
    /// <summary>The model-file metadata key under which <see cref="ToJson"/> is stored.</summary>
    public const string MetadataKey = "nabla.table";
    /// <summary>A numeric target with whole-number values and at most this many distinct ones is taken as classes (unless a task is given).</summary>
    public const int MaxAutomaticClasses = 32;
    /// <summary>A text input column with more distinct values than this in training is refused: its one-hot block would be too wide to learn from.</summary>
    public const int MaxCategories = 1000;

    private TablePreprocessing(FeatureEncoding[] features, string[] targets, TableTask task, string[] classes, double[] targetMeans, double[] targetDeviations, MissingValues missing)
    {
        Features = features;
        Targets = targets;
        Task = task;
        Classes = classes;
        TargetMeans = targetMeans;
        TargetStandardDeviations = targetDeviations;
        Missing = missing;
        InputSize = features.Length == 0 ? 0 : features[^1].Offset + features[^1].Width;
    }

    /// <summary>The input columns, in the order of the network's inputs.</summary>
    public IReadOnlyList<FeatureEncoding> Features { get; }
    /// <summary>The target column names.</summary>
    public IReadOnlyList<string> Targets { get; }
    /// <summary>Classification or regression.</summary>
    public TableTask Task { get; }
    /// <summary>True for <see cref="TableTask.Classification"/>.</summary>
    public bool IsClassification => Task == TableTask.Classification;
    /// <summary>For classification, the class names in the order of the output neurons; empty for regression.</summary>
    public IReadOnlyList<string> Classes { get; }
    /// <summary>For regression, each target's training mean: prediction = output × standard deviation + mean.</summary>
    public IReadOnlyList<double> TargetMeans { get; }
    /// <summary>For regression, each target's training standard deviation.</summary>
    public IReadOnlyList<double> TargetStandardDeviations { get; }
    /// <summary>
    /// How empty cells were treated in training, and so are when the model is applied: <see cref="MissingValues.Mean"/> fills them;
    /// under <see cref="MissingValues.Drop"/> <see cref="UsableRows"/> leaves such rows out of an evaluation, but a row to predict
    /// with an empty cell is an error.
    /// </summary>
    public MissingValues Missing { get; }
    /// <summary>The number of network inputs the features make.</summary>
    public int InputSize { get; }
    /// <summary>The number of output neurons: classes, or target values.</summary>
    public int OutputSize => IsClassification ? Classes.Count : Targets.Count;

    /// <summary>
    /// The rows of <paramref name="table"/> to learn from (all, less those with an empty cell under <see cref="MissingValues.Drop"/>)
    /// and, for classification, each row's class: what a split needs before anything is fitted.
    /// </summary>
    /// <exception cref="InvalidTableException">A named column is missing, the target cannot be learnt (one class, text for
    /// regression), or an empty cell is met under <see cref="MissingValues.Error"/>; the message names row and column.</exception>
    public static TableRows Rows(Table table, TableSettings settings)
    {
        var (targets, features, task) = ResolveColumns(table, settings);
        var all = new List<TableColumn>(targets);
        if (settings.Missing != MissingValues.Mean) all.AddRange(features);
        var rows = new List<int>(table.RowCount);
        for (int row = 0; row < table.RowCount; row++)
        {
            var empty = all.FirstOrDefault(c => c.IsMissing(row));
            if (empty is null) { rows.Add(row); continue; }
            if (settings.Missing == MissingValues.Drop) continue;
            bool isTarget = targets.Contains(empty);
            throw table.CellError(row, empty.Name, isTarget
                ? $"the target is empty{(settings.Missing == MissingValues.Mean ? "; --missing mean fills inputs, not targets" : "")}; use --missing drop to leave such rows out"
                : "the cell is empty (a missing value); use --missing mean to fill it with the column's training mean, or --missing drop to leave such rows out");
        }
        if (rows.Count == 0)
            throw new InvalidTableException(table.Source, 0, 0, null, table.RowCount == 0 ? "the table has a header but no rows" : "every row has an empty cell (--missing drop left none)");

        string[] classes = [];
        int[] classOfRow = [];
        if (task == TableTask.Classification)
        {
            (classes, var codeToClass) = ClassesOf(targets[0], rows);
            if (classes.Length < 2)
                throw new InvalidTableException(table.Source, 0, 0, targets[0].Name,
                    $"every one of the {rows.Count:N0} rows has the same class ('{InvalidTableException.Shorten(classes[0])}'); a classifier needs at least two");
            classOfRow = rows.Select(r => codeToClass(r)).ToArray();
        }
        return new TableRows(table, settings, [.. rows], task, classes, classOfRow);
    }

    /// <summary>
    /// Learns the preprocessing from the training rows: each numeric input's mean and standard deviation, each text input's
    /// categories and their frequencies, and the targets' classes (from all usable rows, so that every row has one) or
    /// mean and standard deviation.
    /// </summary>
    /// <param name="rows">From <see cref="Rows"/>.</param>
    /// <param name="training">The training rows (table row numbers, a part of <paramref name="rows"/>' <see cref="TableRows.Indices"/>).</param>
    public static TablePreprocessing Fit(TableRows rows, ReadOnlySpan<int> training)
    {
        var table = rows.Table;
        if (training.IsEmpty) throw new NablaException($"{table.Source}: no training rows to learn the preprocessing from");
        var (targets, features, task) = ResolveColumns(table, rows.Settings);
        var encodings = new FeatureEncoding[features.Count];
        int offset = 0;
        for (int f = 0; f < features.Count; f++)
        {
            var column = features[f];
            if (column is NumericColumn numeric)
            {
                var (mean, deviation) = MeanAndDeviation(numeric.Values, training);
                encodings[f] = new FeatureEncoding(column.Name, ColumnKind.Numeric, mean, deviation, [], [], offset);
            }
            else
            {
                var text = (TextColumn)column;
                var counts = new Dictionary<int, int>();
                int present = 0;
                foreach (int row in training)
                    if (text.Codes[row] >= 0) { counts[text.Codes[row]] = counts.GetValueOrDefault(text.Codes[row]) + 1; present++; }
                if (counts.Count > MaxCategories)
                    throw new InvalidTableException(table.Source, 0, 0, column.Name,
                        $"has {counts.Count:N0} distinct text values in the training rows, more than {MaxCategories:N0}: one input each would be too many (is it an identifier? leave it out with --features)");
                var codes = counts.Keys.OrderBy(c => text.Categories[c], StringComparer.Ordinal).ToArray();
                encodings[f] = new FeatureEncoding(column.Name, ColumnKind.Text, 0, 1,
                    codes.Select(c => text.Categories[c]).ToArray(), codes.Select(c => present == 0 ? 0 : (double)counts[c] / present).ToArray(), offset);
            }
            offset += encodings[f].Width;
        }
        if (offset == 0) throw new InvalidTableException(table.Source, 0, 0, null, "the input columns make no inputs (text columns with no values in the training rows)");

        double[] means = [], deviations = [];
        if (task == TableTask.Regression)
        {
            means = new double[targets.Count];
            deviations = new double[targets.Count];
            for (int t = 0; t < targets.Count; t++)
                (means[t], deviations[t]) = MeanAndDeviation(((NumericColumn)targets[t]).Values, training);
        }
        return new TablePreprocessing(encodings, targets.Select(t => t.Name).ToArray(), task, [.. rows.Classes], means, deviations, rows.Settings.Missing);
    }

    /// <summary>
    /// The examples of <paramref name="rows"/> (table row numbers) of <paramref name="table"/>: inputs preprocessed, and targets
    /// as classes or standardised values. <paramref name="table"/> may be another file with the same columns (a test file).
    /// </summary>
    /// <exception cref="InvalidTableException">A column is missing or of the wrong kind, a class was never seen in training,
    /// or a cell is empty where that is not allowed.</exception>
    public Dataset ToDataset(Table table, ReadOnlySpan<int> rows)
    {
        var inputs = GC.AllocateUninitializedArray<float>(checked(rows.Length * InputSize));
        EncodeInputs(table, rows, inputs);
        var targets = Targets.Select(table.IndexOf).Select(i => table.Columns[i]).ToArray();
        if (IsClassification)
        {
            var labels = new int[rows.Length];
            var column = targets[0];
            var lookup = Enumerable.Range(0, Classes.Count).ToDictionary(i => Classes[i], StringComparer.Ordinal);
            for (int i = 0; i < rows.Length; i++)
            {
                int row = rows[i];
                if (column.IsMissing(row)) throw table.CellError(row, column.Name, "the target is empty");
                string name = ClassName(column, row);
                if (!lookup.TryGetValue(name, out labels[i]))
                    throw table.CellError(row, column.Name, $"class '{InvalidTableException.Shorten(name)}' is not one of the model's {Classes.Count} classes ({Table.ListNames(Classes)})");
            }
            return new Dataset(inputs, labels, InputSize, Classes.Count);
        }
        var values = GC.AllocateUninitializedArray<float>(checked(rows.Length * Targets.Count));
        for (int t = 0; t < targets.Length; t++)
        {
            if (targets[t] is not NumericColumn numeric) throw table.CellError(-1, targets[t].Name, "the target holds text, not numbers");
            for (int i = 0; i < rows.Length; i++)
            {
                float y = numeric.Values[rows[i]];
                if (float.IsNaN(y)) throw table.CellError(rows[i], numeric.Name, "the target is empty");
                values[i * targets.Length + t] = (float)((y - TargetMeans[t]) / TargetStandardDeviations[t]);
            }
        }
        return Dataset.ForRegression(inputs, values, InputSize, targets.Length);
    }

    /// <summary>
    /// The rows of another table with these columns (a test file) to evaluate on: all of them, less those with an empty
    /// input or target cell when the model was trained with <see cref="MissingValues.Drop"/>.
    /// </summary>
    public int[] UsableRows(Table table)
    {
        var all = Enumerable.Range(0, table.RowCount);
        if (Missing != MissingValues.Drop) return all.ToArray();
        var columns = Features.Select(f => f.Name).Concat(Targets).Select(name => table[name]).ToArray();
        return all.Where(row => !columns.Any(c => c.IsMissing(row))).ToArray();
    }

    /// <summary>Fills <paramref name="inputs"/> (rows.Length × <see cref="InputSize"/>) with the preprocessed inputs of the rows.</summary>
    /// <exception cref="InvalidTableException">A feature column is missing or of the other kind, or a cell is empty and the model does not fill it.</exception>
    public void EncodeInputs(Table table, ReadOnlySpan<int> rows, Span<float> inputs)
    {
        if (inputs.Length != rows.Length * InputSize) throw new ArgumentException($"{rows.Length} rows need {rows.Length * InputSize} inputs, not {inputs.Length}", nameof(inputs));
        var columns = InputColumns(table);
        // Row blocks keep the rows being written in cache while each column is read in turn: 32 rows of 784 inputs are
        // 100 KB (256 rows, 800 KB, spilled out of L2 and took twice as long).
        const int Block = 32;
        for (int start = 0; start < rows.Length; start += Block)
        {
            int end = Math.Min(rows.Length, start + Block);
            for (int f = 0; f < Features.Count; f++)
            {
                var feature = Features[f];
                if (columns[f] is NumericColumn numeric)
                {
                    float[] values = numeric.Values;
                    for (int i = start; i < end; i++)
                    {
                        float x = values[rows[i]];
                        inputs[i * InputSize + feature.Offset] = float.IsNaN(x) ? FillEmpty(table, rows[i], feature) : feature.Standardize(x);
                    }
                }
                else
                {
                    var text = (TextColumn)columns[f];
                    // The input's categories, numbered as the model's (−1: not seen in training, all zeros).
                    var map = CategoryMap(text, feature);
                    for (int i = start; i < end; i++)
                    {
                        var oneHot = inputs.Slice(i * InputSize + feature.Offset, feature.Width);
                        int code = text.Codes[rows[i]];
                        if (code < 0) FillEmpty(table, rows[i], feature, oneHot);
                        else
                        {
                            oneHot.Clear();
                            if (map[code] >= 0) oneHot[map[code]] = 1;
                        }
                    }
                }
            }
        }
    }

    /// <summary>The table's columns for <see cref="Features"/>, checked to exist and to be of the kind the model learnt from.</summary>
    private TableColumn[] InputColumns(Table table)
    {
        var columns = new TableColumn[Features.Count];
        for (int f = 0; f < Features.Count; f++)
        {
            var feature = Features[f];
            if (!table.Contains(feature.Name))
                throw new InvalidTableException(table.Source, 0, 0, feature.Name,
                    $"the model takes this column as an input, but the table lacks it; its columns are {Table.ListNames(table.Columns.Select(c => c.Name))}");
            var column = table[feature.Name];
            if (column.Kind != feature.Kind)
            {
                int row = Enumerable.Range(0, column.Count).FirstOrDefault(r => !column.IsMissing(r));
                throw table.CellError(row, feature.Name, feature.Kind == ColumnKind.Numeric
                    ? $"the model learnt numbers in this column, but it holds text ('{InvalidTableException.Shorten(column.CellText(row))}')"
                    : "the model learnt text categories in this column, but it holds numbers (read it as text)");
            }
            columns[f] = column;
        }
        return columns;
    }

    internal static int[] CategoryMap(TextColumn text, FeatureEncoding feature) =>
        text.Categories.Select(feature.CategoryIndex).ToArray();

    private float FillEmpty(Table table, int row, FeatureEncoding feature) =>
        Missing == MissingValues.Mean ? 0f // the training mean, standardised
            : throw table.CellError(row, feature.Name, MissingMessage);

    private void FillEmpty(Table table, int row, FeatureEncoding feature, Span<float> oneHot)
    {
        if (Missing != MissingValues.Mean) throw table.CellError(row, feature.Name, MissingMessage);
        for (int c = 0; c < oneHot.Length; c++) oneHot[c] = (float)feature.Frequencies[c];
    }

    internal string MissingMessage => Missing == MissingValues.Drop
        ? "the cell is empty; the model was trained with --missing drop, which cannot leave out a row to predict"
        : "the cell is empty (a missing value), and the model was trained without --missing mean";

    /// <summary>The class name of a target cell: the text, or the number written as the class lists write it.</summary>
    internal static string ClassName(TableColumn column, int row) =>
        column is NumericColumn n ? n.Values[row].ToString(CultureInfo.InvariantCulture) : column.CellText(row);

    /// <summary>The classes of the usable rows, sorted (numbers by value, text by ordinal), and a row → class index function.</summary>
    private static (string[] Classes, Func<int, int> ClassOf) ClassesOf(TableColumn target, List<int> rows)
    {
        if (target is NumericColumn numeric)
        {
            var values = rows.Select(r => numeric.Values[r]).Distinct().Order().ToArray();
            var index = Enumerable.Range(0, values.Length).ToDictionary(i => values[i]);
            return (values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray(), r => index[numeric.Values[r]]);
        }
        var text = (TextColumn)target;
        var codes = rows.Select(r => text.Codes[r]).Distinct().OrderBy(c => text.Categories[c], StringComparer.Ordinal).ToArray();
        var codeIndex = Enumerable.Range(0, codes.Length).ToDictionary(i => codes[i]);
        return (codes.Select(c => text.Categories[c]).ToArray(), r => codeIndex[text.Codes[r]]);
    }

    private static (double Mean, double Deviation) MeanAndDeviation(float[] values, ReadOnlySpan<int> rows)
    {
        double sum = 0;
        int n = 0;
        foreach (int row in rows)
            if (!float.IsNaN(values[row])) { sum += values[row]; n++; }
        if (n == 0) return (0, 1);
        double mean = sum / n, squares = 0;
        foreach (int row in rows)
            if (!float.IsNaN(values[row])) squares += (values[row] - mean) * (values[row] - mean);
        double deviation = Math.Sqrt(squares / n);
        // A constant column carries no information; scale 1 keeps it at 0 rather than dividing by zero (as StandardScaler).
        return (mean, deviation > 1e-12 * Math.Max(1, Math.Abs(mean)) ? deviation : 1);
    }

    /// <summary>The target and feature columns named by <paramref name="settings"/>, checked, and the task.</summary>
    private static (List<TableColumn> Targets, List<TableColumn> Features, TableTask Task) ResolveColumns(Table table, TableSettings settings)
    {
        if (settings.Targets.Count == 0) throw new NablaException("name at least one target column (--target)");
        var targets = settings.Targets.Select(name => table[name]).ToList();
        var duplicate = settings.Targets.GroupBy(t => t).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidTableException(table.Source, 0, 0, duplicate.Key, "is named twice as a target");
        var features = (settings.Features ?? table.Columns.Select(c => c.Name).Where(n => !settings.Targets.Contains(n)).ToList())
            .Select(name => table[name]).ToList();
        var both = features.FirstOrDefault(targets.Contains);
        if (both is not null) throw new InvalidTableException(table.Source, 0, 0, both.Name, "cannot be both an input (--features) and a target");
        if (features.Count == 0) throw new InvalidTableException(table.Source, 0, 0, null, "there are no input columns: every column is a target");
        var repeated = features.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null) throw new InvalidTableException(table.Source, 0, 0, repeated.Key, "is named twice in --features");

        var task = settings.Task ?? (targets.Count == 1 && LooksLikeClasses(targets[0]) ? TableTask.Classification : TableTask.Regression);
        if (task == TableTask.Classification && targets.Count > 1)
            throw new NablaException($"classification takes one target column, not {targets.Count} ({string.Join(", ", settings.Targets)}); several numeric targets are a regression");
        if (task == TableTask.Regression)
            foreach (var t in targets)
                if (t is TextColumn text)
                    throw table.CellError(Array.FindIndex(text.Codes, c => c >= 0), t.Name,
                        "a regression target must hold numbers, but this column holds text" + (targets.Count == 1 ? " (as the only target it can be a class column)" : ""));
        return (targets, features, task);
    }

    /// <summary>Text, or whole numbers with few distinct values.</summary>
    private static bool LooksLikeClasses(TableColumn target)
    {
        if (target is TextColumn) return true;
        var distinct = new HashSet<float>();
        foreach (float v in ((NumericColumn)target).Values)
        {
            if (float.IsNaN(v)) continue;
            if (v != MathF.Round(v) || (distinct.Add(v) && distinct.Count > MaxAutomaticClasses)) return false;
        }
        return true;
    }

    /// <summary>The preprocessing as JSON, for the model file's metadata (<see cref="MetadataKey"/>).</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["version"] = 1,
            ["task"] = IsClassification ? "classification" : "regression",
            ["missing"] = Missing.ToString().ToLowerInvariant(),
            ["features"] = new JsonArray(Features.Select(f => (JsonNode)(f.Kind == ColumnKind.Numeric
                ? new JsonObject { ["name"] = f.Name, ["kind"] = "numeric", ["mean"] = f.Mean, ["std"] = f.StandardDeviation }
                : new JsonObject
                {
                    ["name"] = f.Name, ["kind"] = "text",
                    ["categories"] = new JsonArray(f.Categories.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
                    ["frequencies"] = new JsonArray(f.Frequencies.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()),
                })).ToArray()),
            ["targets"] = new JsonArray(Targets.Select((t, i) => (JsonNode)(IsClassification
                ? new JsonObject { ["name"] = t, ["classes"] = new JsonArray(Classes.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()) }
                : new JsonObject { ["name"] = t, ["mean"] = TargetMeans[i], ["std"] = TargetStandardDeviations[i] })).ToArray()),
        };
        return root.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Reads <see cref="ToJson"/>'s text back, checking every field.</summary>
    /// <exception cref="InvalidFileException">The text is not a valid preprocessing; <paramref name="source"/> names the model file.</exception>
    public static TablePreprocessing FromJson(string json, string source)
    {
        InvalidFileException Bad(string problem) => new(source, -1, $"metadata '{MetadataKey}': {problem}");
        try
        {
            var root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 8 }) as JsonObject ?? throw Bad("not a JSON object");
            if ((int?)root["version"] != 1) throw Bad($"version {root["version"]?.ToJsonString() ?? "missing"} is not 1");
            var task = (string?)root["task"] switch
            {
                "classification" => TableTask.Classification,
                "regression" => TableTask.Regression,
                var t => throw Bad($"task '{t}' is not classification or regression"),
            };
            var missing = (string?)root["missing"] switch
            {
                "error" => MissingValues.Error,
                "mean" => MissingValues.Mean,
                "drop" => MissingValues.Drop,
                var m => throw Bad($"missing '{m}' is not error, mean or drop"),
            };
            var features = new List<FeatureEncoding>();
            int offset = 0;
            foreach (var node in root["features"] as JsonArray ?? throw Bad("no features"))
            {
                if (node is null) throw Bad("a feature is null");
                string name = (string?)node["name"] ?? throw Bad("a feature without a name");
                FeatureEncoding feature;
                if ((string?)node["kind"] == "numeric")
                {
                    double mean = (double?)node["mean"] ?? double.NaN, deviation = (double?)node["std"] ?? double.NaN;
                    if (!double.IsFinite(mean) || !(deviation > 0) || !double.IsFinite(deviation)) throw Bad($"feature '{name}' needs a finite mean and a positive std");
                    feature = new FeatureEncoding(name, ColumnKind.Numeric, mean, deviation, [], [], offset);
                }
                else if ((string?)node["kind"] == "text")
                {
                    var categories = (node["categories"] as JsonArray ?? throw Bad($"feature '{name}' has no categories")).Select(c => (string?)c ?? throw Bad($"feature '{name}': a category is not text")).ToArray();
                    var frequencies = (node["frequencies"] as JsonArray ?? throw Bad($"feature '{name}' has no frequencies")).Select(p => (double?)p ?? double.NaN).ToArray();
                    if (categories.Length == 0 || categories.Length > MaxCategories || frequencies.Length != categories.Length || frequencies.Any(p => !(p >= 0 && p <= 1)))
                        throw Bad($"feature '{name}' needs 1 to {MaxCategories} categories, each with a frequency in [0, 1]");
                    if (categories.Distinct(StringComparer.Ordinal).Count() != categories.Length) throw Bad($"feature '{name}' names a category twice");
                    feature = new FeatureEncoding(name, ColumnKind.Text, 0, 1, categories, frequencies, offset);
                }
                else throw Bad($"feature '{name}' has kind '{(string?)node["kind"]}', not numeric or text");
                features.Add(feature);
                offset += feature.Width;
            }
            if (features.Count == 0) throw Bad("no features");
            if (features.Select(f => f.Name).Distinct(StringComparer.Ordinal).Count() != features.Count) throw Bad("a feature is named twice");
            var targetNodes = root["targets"] as JsonArray ?? throw Bad("no targets");
            var targets = targetNodes.Select(t => (string?)t?["name"] ?? throw Bad("a target without a name")).ToArray();
            if (targets.Length == 0 || (task == TableTask.Classification && targets.Length != 1)) throw Bad($"{targets.Length} targets for {task.ToString().ToLowerInvariant()}");
            string[] classes = [];
            double[] means = [], deviations = [];
            if (task == TableTask.Classification)
            {
                classes = (targetNodes[0]!["classes"] as JsonArray ?? throw Bad("the classification target has no classes")).Select(c => (string?)c ?? throw Bad("a class is not text")).ToArray();
                if (classes.Length < 2 || classes.Distinct(StringComparer.Ordinal).Count() != classes.Length) throw Bad("a classification target needs two or more distinct classes");
            }
            else
            {
                means = targetNodes.Select(t => (double?)t!["mean"] ?? double.NaN).ToArray();
                deviations = targetNodes.Select(t => (double?)t!["std"] ?? double.NaN).ToArray();
                if (means.Any(m => !double.IsFinite(m)) || deviations.Any(d => !(d > 0) || !double.IsFinite(d))) throw Bad("each regression target needs a finite mean and a positive std");
            }
            return new TablePreprocessing([.. features], targets, task, classes, means, deviations, missing);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw Bad($"not valid: {e.Message}");
        }
    }

    /// <summary>The preprocessing of a network with no table behind it (IDX images): inputs 'input0'… taken as they are, outputs the classes named (by default '0', '1', …).</summary>
    public static TablePreprocessing Identity(int inputSize, int outputSize, IReadOnlyList<string>? classNames = null)
    {
        if (classNames is not null && classNames.Count != outputSize)
            throw new NablaException($"{classNames.Count} class names for {outputSize} outputs");
        var features = Enumerable.Range(0, inputSize).Select(i => new FeatureEncoding($"input{i}", ColumnKind.Numeric, 0, 1, [], [], i)).ToArray();
        var classes = classNames?.ToArray() ?? Enumerable.Range(0, outputSize).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new TablePreprocessing(features, ["class"], TableTask.Classification, classes, [], [], MissingValues.Error);
    }

    /// <summary>One line for people: "4 input columns (4 numeric, 0 text) → 4 inputs; 3 classes of 'species'".</summary>
    public override string ToString()
    {
        int text = Features.Count(f => f.Kind == ColumnKind.Text);
        string outputs = IsClassification
            ? $"{Classes.Count} classes of '{Targets[0]}' ({Table.ListNames(Classes)})"
            : $"regression of {Table.ListNames(Targets)} (standardised for training)";
        return $"{Features.Count} input columns ({Features.Count - text} numeric, standardised; {text} text, one-hot) → {InputSize} inputs; {outputs}; empty cells: {Missing.ToString().ToLowerInvariant()}";
    }
}

/// <summary>The usable rows of a table for some <see cref="TableSettings"/>, and their classes: what a split works on.</summary>
public sealed class TableRows
{
    internal TableRows(Table table, TableSettings settings, int[] indices, TableTask task, string[] classes, int[] classOfRow)
        => (Table, Settings, Indices, Task, Classes, ClassOfRow) = (table, settings, indices, task, classes, classOfRow);

    /// <summary>The table the rows are of.</summary>
    public Table Table { get; }
    /// <summary>The settings the rows were chosen under.</summary>
    public TableSettings Settings { get; }
    /// <summary>The table rows to learn from, ascending.</summary>
    public int[] Indices { get; }
    /// <summary>The task: as set in <see cref="Settings"/>, or decided from the target column.</summary>
    public TableTask Task { get; }
    /// <summary>For classification, the class names (sorted); else empty.</summary>
    public IReadOnlyList<string> Classes { get; }
    /// <summary>For classification, the class of each of <see cref="Indices"/>; else empty.</summary>
    public int[] ClassOfRow { get; }

    /// <summary>
    /// Splits the rows into parts of the given <paramref name="fractions"/> (which sum to 1; e.g. 0.8, 0.1, 0.1 for
    /// training, validation and test), shuffled with <paramref name="seed"/>; for classification each class is split in
    /// these proportions (stratified), so every part sees each class as often as the whole. Each part is sorted.
    /// </summary>
    public int[][] Split(IReadOnlyList<double> fractions, int seed)
    {
        if (fractions.Count == 0 || fractions.Any(f => !(f > 0) || !double.IsFinite(f)) || Math.Abs(fractions.Sum() - 1) > 1e-6)
            throw new NablaException($"split fractions must be positive and sum to 1, not {string.Join(", ", fractions)}");
        var parts = fractions.Select(_ => new List<int>()).ToArray();
        var random = new Xoshiro256(seed);
        var groups = Task == TableTask.Classification
            ? Enumerable.Range(0, Indices.Length).GroupBy(i => ClassOfRow[i]).OrderBy(g => g.Key).Select(g => g.Select(i => Indices[i]).ToArray())
            : [Indices.ToArray()];
        // Each part's share is rounded over the running total, so the parts add up to the group and no class is lost.
        foreach (var group in groups)
        {
            random.Shuffle(group);
            double cumulative = 0;
            int taken = 0;
            for (int p = 0; p < parts.Length; p++)
            {
                cumulative += fractions[p];
                int end = p == parts.Length - 1 ? group.Length : (int)Math.Round(cumulative * group.Length);
                parts[p].AddRange(group.AsSpan(taken, end - taken).ToArray());
                taken = end;
            }
        }
        return parts.Select(p => p.Order().ToArray()).ToArray();
    }
}
