namespace Nabla.Data;

/// <summary>What a table column holds.</summary>
public enum ColumnKind
{
    /// <summary>Numbers (float32); a missing cell is NaN.</summary>
    Numeric,
    /// <summary>Text: each cell one of a list of distinct values (categories); a missing cell is −1.</summary>
    Text,
}

/// <summary>One column of a <see cref="Table"/>: a name and <see cref="Table.RowCount"/> cells.</summary>
public abstract class TableColumn
{
    private protected TableColumn(string name) => Name = name;

    /// <summary>The column's name, from the file's header.</summary>
    public string Name { get; }
    /// <summary>Whether the cells are numbers or text.</summary>
    public abstract ColumnKind Kind { get; }
    /// <summary>The number of cells.</summary>
    public abstract int Count { get; }
    /// <summary>True when cell <paramref name="row"/> (0-based) is empty.</summary>
    public abstract bool IsMissing(int row);
    /// <summary>Cell <paramref name="row"/> as text, for messages and output ("" when missing).</summary>
    public abstract string CellText(int row);

    /// <summary>Name, kind and length, e.g. <c>age (Numeric, 891 rows)</c>.</summary>
    public override string ToString() => $"{Name} ({Kind}, {Count} rows)";
}

/// <summary>A column of numbers, stored as float32 (what the networks compute in); NaN marks a missing cell.</summary>
public sealed class NumericColumn : TableColumn
{
    /// <summary>Wraps (does not copy) <paramref name="values"/>; NaN marks a missing cell, and infinities are not allowed.</summary>
    /// <exception cref="NablaException">A value is infinite.</exception>
    public NumericColumn(string name, float[] values) : base(name)
    {
        ArgumentNullException.ThrowIfNull(values);
        int bad = FirstInfinity(values);
        if (bad >= 0) throw new NablaException($"column '{InvalidTableException.Shorten(name)}': value {bad} is {values[bad]}; cells must be finite (NaN marks a missing one)");
        Values = values;
    }

    // Vectors of |x| against +∞ (NaN, a missing cell, compares false): a delegate per cell (Array.FindIndex) took a fifth
    // of the time of reading a 47-million-cell table.
    private static int FirstInfinity(float[] values)
    {
        var infinity = new System.Numerics.Vector<float>(float.PositiveInfinity);
        int i = 0;
        for (; i <= values.Length - System.Numerics.Vector<float>.Count; i += System.Numerics.Vector<float>.Count)
            if (System.Numerics.Vector.EqualsAny(System.Numerics.Vector.Abs(new System.Numerics.Vector<float>(values, i)), infinity)) break;
        for (; i < values.Length; i++)
            if (float.IsInfinity(values[i])) return i;
        return -1;
    }

    /// <summary>The cells; NaN where missing.</summary>
    public float[] Values { get; }
    /// <inheritdoc/>
    public override ColumnKind Kind => ColumnKind.Numeric;
    /// <inheritdoc/>
    public override int Count => Values.Length;
    /// <summary>True when the cell is NaN.</summary>
    public override bool IsMissing(int row) => float.IsNaN(Values[row]);
    /// <summary>The value in the shortest text that reads back to the same float ("R", invariant culture); "" when missing.</summary>
    public override string CellText(int row) => IsMissing(row) ? "" : Values[row].ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A column of text cells, stored as codes into <see cref="Categories"/> (each distinct value once); −1 marks a missing cell.</summary>
public sealed class TextColumn : TableColumn
{
    /// <summary>Wraps (does not copy) the codes and categories.</summary>
    /// <exception cref="NablaException">A code is not −1 nor an index into <paramref name="categories"/>.</exception>
    public TextColumn(string name, int[] codes, IReadOnlyList<string> categories) : base(name)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(categories);
        int bad = -1;
        for (int i = 0; i < codes.Length && bad < 0; i++)
            if (codes[i] < -1 || codes[i] >= categories.Count) bad = i;
        if (bad >= 0) throw new NablaException($"column '{InvalidTableException.Shorten(name)}': cell {bad} has code {codes[bad]}, but there are {categories.Count} categories");
        Codes = codes;
        Categories = categories;
    }

    /// <summary>Per cell, the index of its value in <see cref="Categories"/>, or −1 when missing.</summary>
    public int[] Codes { get; }
    /// <summary>The distinct values, in order of first appearance.</summary>
    public IReadOnlyList<string> Categories { get; }
    /// <inheritdoc/>
    public override ColumnKind Kind => ColumnKind.Text;
    /// <inheritdoc/>
    public override int Count => Codes.Length;
    /// <summary>True when the cell's code is −1.</summary>
    public override bool IsMissing(int row) => Codes[row] < 0;
    /// <summary>The cell's category; "" when missing.</summary>
    public override string CellText(int row) => Codes[row] < 0 ? "" : Categories[Codes[row]];
}

/// <summary>
/// A table read from a file (CSV, TSV, Parquet; the readers are in the Nabla.Data package) or built in memory: named
/// columns of numbers or text, all of <see cref="RowCount"/> cells. <see cref="TablePreprocessing"/> turns it into a
/// <see cref="Dataset"/>.
/// </summary>
public sealed class Table
{
    private readonly Dictionary<string, int> _index;
    private readonly long[]? _lines;

    /// <param name="source">Where the table came from (a file path), for messages.</param>
    /// <param name="columns">The columns, each with the same number of cells, names distinct.</param>
    /// <param name="lines">For a text file, the 1-based line on which each row starts (for messages); else null.</param>
    /// <exception cref="NablaException">No columns, names repeat, or the columns differ in length.</exception>
    public Table(string source, IReadOnlyList<TableColumn> columns, long[]? lines = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new InvalidTableException(source, 0, 0, null, "the table has no columns");
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < columns.Count; i++)
        {
            if (!_index.TryAdd(columns[i].Name, i))
                throw new InvalidTableException(source, 0, 0, columns[i].Name, $"the column name appears twice (columns {_index[columns[i].Name] + 1} and {i + 1}); names must be distinct");
            if (columns[i].Count != columns[0].Count)
                throw new InvalidTableException(source, 0, 0, columns[i].Name, $"has {columns[i].Count} cells but column '{columns[0].Name}' has {columns[0].Count}");
        }
        if (lines is not null && lines.Length != columns[0].Count)
            throw new NablaException($"{source}: {lines.Length} line numbers for {columns[0].Count} rows");
        Source = source;
        Columns = columns;
        _lines = lines;
    }

    /// <summary>Where the table came from, for messages.</summary>
    public string Source { get; }
    /// <summary>The columns, in the file's order; at least one.</summary>
    public IReadOnlyList<TableColumn> Columns { get; }
    /// <summary>The number of rows (data rows: a header is not one), the same in every column.</summary>
    public int RowCount => Columns[0].Count;

    /// <summary>The column called <paramref name="name"/>.</summary>
    /// <exception cref="InvalidTableException">There is no such column; the message lists those there are.</exception>
    public TableColumn this[string name] => Columns[IndexOf(name)];

    /// <summary>True when the table has a column called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _index.ContainsKey(name);

    /// <summary>The position of the column called <paramref name="name"/>.</summary>
    /// <exception cref="InvalidTableException">There is no such column; the message lists those there are.</exception>
    public int IndexOf(string name) => _index.TryGetValue(name, out int i) ? i
        : throw new InvalidTableException(Source, 0, 0, name, $"no such column; the columns are {ListNames(Columns.Select(c => c.Name))}");

    /// <summary>The 1-based line of a text file on which 0-based row <paramref name="row"/> starts, or 0 when unknown.</summary>
    public long LineOf(int row) => _lines is not null && (uint)row < (uint)_lines.Length ? _lines[row] : 0;

    /// <summary>An error about cell (<paramref name="row"/>, <paramref name="column"/>), naming file, row, line and column.</summary>
    public InvalidTableException CellError(int row, string? column, string problem) => new(Source, row + 1, LineOf(row), column, problem);

    /// <summary>"'a', 'b', 'c'" or, for many, the first few and how many more.</summary>
    internal static string ListNames(IEnumerable<string> names)
    {
        var list = names.ToList();
        string shown = string.Join(", ", list.Take(12).Select(n => $"'{InvalidTableException.Shorten(n)}'"));
        return list.Count > 12 ? $"{shown} and {list.Count - 12} more" : shown;
    }
}
