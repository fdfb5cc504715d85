using System.Globalization;
using System.Text;
using nietras.SeparatedValues;

namespace Nabla.Data;

/// <summary>How to read a table file.</summary>
public sealed record TableReadOptions
{
    /// <summary>Every option at its default (below).</summary>
    public static TableReadOptions Default { get; } = new();

    /// <summary>The cell separator of a text file; null: ',' for .csv, tab for .tsv and .tab.</summary>
    public char? Separator { get; init; }
    /// <summary>Columns to read as text even when their cells are numbers (category codes, postcodes). Others are numeric when their first value is a number.</summary>
    public IReadOnlyCollection<string> TextColumns { get; init; } = [];
    /// <summary>Only these columns are kept (each must exist); null: all.</summary>
    public IReadOnlyCollection<string>? Columns { get; init; }
    /// <summary>The longest record of a text file, in characters (a quoted cell may span lines); longer is an error, before it is buffered.</summary>
    public int MaxRecordLength
    {
        get;
        init => field = ReaderLimit.Positive(value, "TableReadOptions.MaxRecordLength");
    } = 4 << 20;
    /// <summary>The most columns a header may declare.</summary>
    public int MaxColumns
    {
        get;
        init => field = ReaderLimit.Positive(value, "TableReadOptions.MaxColumns");
    } = 100_000;
    /// <summary>The most cells (rows × kept columns) a table may hold: a float each, so the default, 1.5 billion, is 6 GB.</summary>
    public long MaxCells
    {
        get;
        init => field = ReaderLimit.Positive(value, "TableReadOptions.MaxCells");
    } = 1_500_000_000;
}

/// <summary>
/// Reads tables: CSV and TSV (RFC 4180: quoted cells with separators, quotes and newlines inside, CRLF or LF, an optional
/// UTF-8 byte-order mark; read with Sep) and Parquet (flat columns of numbers, booleans or strings; read with Parquet.Net,
/// all managed code). A column is numeric when its first non-empty cell is a number, else text; an empty cell (a Parquet
/// null) is missing. Every problem is an <see cref="InvalidTableException"/> naming the file, row (and line) and column.
/// </summary>
public static class TableReader
{
    /// <summary>
    /// Reads a .csv, .tsv/.tab or .parquet/.pq file, by its extension; a file with any other extension is read as CSV
    /// (<see cref="IsTable"/> tells them apart first).
    /// </summary>
    /// <exception cref="InvalidTableException">The file is not a valid table; the message says where.</exception>
    /// <exception cref="NablaException">The file is missing or unreadable.</exception>
    public static Table Read(string path, TableReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= TableReadOptions.Default;
        return FormatOf(path) switch
        {
            TableFormat.Parquet => ParquetTable.Read(path, options),
            TableFormat.Tsv => CsvTable.Read(path, options with { Separator = options.Separator ?? '\t' }),
            _ => CsvTable.Read(path, options with { Separator = options.Separator ?? ',' }),
        };
    }

    /// <summary>True when <paramref name="path"/> names a file this reader takes (.csv, .tsv, .tab, .parquet, .pq).</summary>
    public static bool IsTable(string path) => FormatOf(path) is not null;

    private enum TableFormat { Csv, Tsv, Parquet }

    private static TableFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" => TableFormat.Csv,
        ".tsv" or ".tab" => TableFormat.Tsv,
        ".parquet" or ".pq" => TableFormat.Parquet,
        _ => null,
    };

    /// <summary>Opens a file for reading, turning the usual failures into one-line messages.</summary>
    internal static FileStream Open(string path)
    {
        if (Directory.Exists(path)) throw new NablaException($"{path}: is a folder, not a table file");
        if (!File.Exists(path)) throw new NablaException($"{path}: no such file");
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new NablaException($"{path}: cannot open: {e.Message}", e); }
    }
}

/// <summary>Cells of one column gathered while reading, its kind decided by its first non-empty cell.</summary>
internal sealed class ColumnBuilder
{
    private const int ChunkSize = 1 << 16;
    private readonly List<float[]> _numbers = [];
    private readonly List<int[]> _codes = [];
    private readonly Dictionary<string, int> _categories = new(StringComparer.Ordinal);
    private readonly List<string> _categoryList = [];
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private int _pendingEmpty;   // empty cells before the first value, when the kind is not known yet
    private int _count;

    public ColumnBuilder(string name, bool forceText)
    {
        Name = name;
        Kind = forceText ? ColumnKind.Text : null;
        _lookup = _categories.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Name { get; }
    public ColumnKind? Kind { get; private set; }
    /// <summary>The first value and where it was (for the message when a later cell is of the other kind).</summary>
    public (string Text, long Row) First { get; private set; }

    public void AddEmpty()
    {
        if (Kind is null) _pendingEmpty++;
        else if (Kind == ColumnKind.Numeric) Add(float.NaN);
        else Add(-1);
    }

    public void AddNumber(float value, ReadOnlySpan<char> text, long row)
    {
        if (Kind is null) Start(ColumnKind.Numeric, text, row);
        Add(value);
    }

    public void AddText(ReadOnlySpan<char> text, long row) => Add(Code(text, row));

    /// <summary>The category code of <paramref name="text"/> (new ones numbered in order), making the column text if its kind is not known yet.</summary>
    public int Code(ReadOnlySpan<char> text, long row)
    {
        if (Kind is null) Start(ColumnKind.Text, text, row);
        if (!_lookup.TryGetValue(text, out int code))
        {
            // Codes travel through a float block (CsvTable): exact up to 2^24.
            if (_categoryList.Count >= MaxCategories)
                throw new NablaException($"column '{Cells.Short(Name)}' has more than {MaxCategories:N0} distinct text values");
            string value = text.ToString();
            code = _categoryList.Count;
            _categories.Add(value, code);
            _categoryList.Add(value);
        }
        return code;
    }

    /// <summary>The most distinct values a text column may hold.</summary>
    public const int MaxCategories = 1 << 24;

    /// <summary>Makes a column of unknown kind numeric, its first value <paramref name="text"/>.</summary>
    public void StartNumeric(ReadOnlySpan<char> text, long row) => Start(ColumnKind.Numeric, text, row);

    /// <summary>
    /// Appends column <paramref name="column"/> of a block of <paramref name="rows"/> rows, <paramref name="stride"/> cells
    /// each: numbers as they are, codes as codes, NaN as an empty cell.
    /// </summary>
    public void AppendBlock(float[] block, int column, int stride, int rows)
    {
        if (Kind is null) { _pendingEmpty += rows; return; } // every cell so far is empty
        if (Kind == ColumnKind.Numeric)
        {
            for (int r = 0; r < rows;)
            {
                int slot = _count & (ChunkSize - 1);
                if (slot == 0) _numbers.Add(GC.AllocateUninitializedArray<float>(ChunkSize));
                var chunk = _numbers[^1].AsSpan(slot, Math.Min(ChunkSize - slot, rows - r));
                for (int i = 0; i < chunk.Length; i++, r++) chunk[i] = block[r * stride + column];
                _count += chunk.Length;
            }
        }
        else
            for (int r = 0; r < rows; r++) Add(float.IsNaN(block[r * stride + column]) ? -1 : (int)block[r * stride + column]);
    }

    private void Start(ColumnKind kind, ReadOnlySpan<char> text, long row)
    {
        Kind = kind;
        First = (text.Length <= 60 ? text.ToString() : text[..57].ToString() + "...", row);
        for (; _pendingEmpty > 0; _pendingEmpty--) AddEmpty();
    }

    /// <summary>Appends a number to a numeric column: the reader's innermost step, kept to a store and an increment.</summary>
    public void AddNumber(float value)
    {
        int slot = _count & (ChunkSize - 1);
        if (slot == 0) _numbers.Add(GC.AllocateUninitializedArray<float>(ChunkSize));
        _numbers[^1][slot] = value;
        _count++;
    }

    private void Add(float value) => AddNumber(value);

    private void Add(int code)
    {
        int slot = _count & (ChunkSize - 1);
        if (slot == 0) _codes.Add(GC.AllocateUninitializedArray<int>(ChunkSize));
        _codes[^1][slot] = code;
        _count++;
    }

    /// <summary>The column, its chunks copied into one array and released. A column with no value at all is numeric, all missing.</summary>
    public TableColumn Build()
    {
        if (Kind is null) Start(ColumnKind.Numeric, "", 0);
        if (Kind == ColumnKind.Numeric) return new NumericColumn(Name, Concat(_numbers));
        return new TextColumn(Name, Concat(_codes), _categoryList);
    }

    private T[] Concat<T>(List<T[]> chunks)
    {
        var all = GC.AllocateUninitializedArray<T>(_count);
        for (int c = 0; c < chunks.Count; c++)
        {
            int length = Math.Min(ChunkSize, _count - c * ChunkSize);
            chunks[c].AsSpan(0, length).CopyTo(all.AsSpan(c * ChunkSize));
            chunks[c] = [];
        }
        return all;
    }
}

/// <summary>Turns a cell's text into a number the way every table reader here does.</summary>
internal static class Cells
{
    /// <summary>
    /// Parses a number in invariant culture ("1", "-2.5", "3e-4"). Plain whole numbers of up to 7 digits, most cells of
    /// many tables (pixels, counts, codes), take a short path; others go through csFastFloat (Sep's parser).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out float value) =>
        TryParseWhole(text, out value)
        || csFastFloat.FastFloatParser.TryParseFloat(text, out int consumed, out value, NumberStyles.Float, '.', 'e') && consumed == text.Length;

    /// <summary>A plain whole number of 1 to 7 digits, optionally negative: exact in float32, and always finite.</summary>
    public static bool TryParseWhole(ReadOnlySpan<char> text, out float value)
    {
        int start = text.Length > 0 && text[0] == '-' ? 1 : 0;
        value = 0;
        if (text.Length - start is <= 0 or > 7) return false;
        int whole = 0;
        for (int i = start; i < text.Length; i++)
        {
            uint digit = (uint)(text[i] - '0');
            if (digit > 9) return false;
            whole = whole * 10 + (int)digit;
        }
        value = start == 1 ? -whole : whole;
        return true;
    }

    /// <summary>Why a parsed number cannot be a cell (NaN, infinity, beyond float32), or null when it can.</summary>
    public static string? NotFinite(float value, ReadOnlySpan<char> text) =>
        float.IsNaN(value) ? $"'{Short(text)}' (NaN) is not a value a network can learn from; leave the cell empty to mark it missing"
        : float.IsInfinity(value) ? (text.Trim().TrimStart('+').TrimStart('-').StartsWith("inf", StringComparison.OrdinalIgnoreCase)
            ? $"'{Short(text)}' (infinity) is not a value a network can learn from"
            : $"'{Short(text)}' is beyond the float32 range (±3.4e38)")
        : null;

    public static string Short(ReadOnlySpan<char> text) => text.Length <= 60 ? text.ToString() : text[..57].ToString() + "...";
}

/// <summary>CSV and TSV through Sep, with the checks that give each bad file its own message.</summary>
internal static class CsvTable
{
    public static Table Read(string path, TableReadOptions options)
    {
        char separator = options.Separator!.Value;
        using var stream = TableReader.Open(path);
        if (stream.Length == 0) throw new InvalidTableException(path, 0, 0, null, "the file is empty; a table needs a header line naming its columns");
        // Strict UTF-8: a wrong byte is an error, not a silent U+FFFD in a category name. The BOM, if any, is skipped.
        using var text = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        var guarded = new RecordLengthLimit(text, options.MaxRecordLength, separator);
        try
        {
            return Read(path, guarded, separator, options);
        }
        catch (RecordLengthLimit.TooLongException e)
        {
            throw new InvalidTableException(path, 0, e.Line, null,
                $"a record longer than {options.MaxRecordLength:N0} characters (the limit; TableReadOptions.MaxRecordLength, --max-record-length); is this a table, or is a quote left open?");
        }
        catch (DecoderFallbackException)
        {
            var (offset, line, column) = InvalidUtf8.Find(path, separator);
            throw new InvalidTableException(path, 0, line, null, $"byte {offset:N0} (cell {column} of the line) is not valid UTF-8; save the file as UTF-8");
        }
    }

    private static Table Read(string path, TextReader text, char separator, TableReadOptions options)
    {
        using var reader = Sep.Reader(o => o with
        {
            Sep = new Sep(separator),
            HasHeader = false, // the header is read as a row, so that repeated or missing names get our messages
            Unescape = false, // quoted cells are rare in numeric tables: unquoted here, only when they start with a quote
            DisableColCountCheck = true,
            CultureInfo = CultureInfo.InvariantCulture,
        }).From(text);

        ColumnBuilder?[]? builders = null; // null where a column is not kept
        int[] keptColumns = [];            // the file's column of each kept column
        var scratch = new Scratch();
        string[] names = [];
        var lines = new List<long>();
        long row = 0;
        long cells = 0;
        int kept = 0;
        // Rows are gathered into a block, row after row, and handed to the columns a block at a time: writing each cell
        // straight into its column's array touches one page per column per row (785 for Fashion-MNIST), which measured
        // 2-3 times slower. A cell in the block is a number, a text column's category code, or NaN for an empty cell.
        float[] block = [];
        int blockRows = 0, blockCapacity = 0;
        foreach (var record in reader)
        {
            if (builders is null)
            {
                names = Header(path, record, options);
                builders = Keep(path, names, options);
                keptColumns = Enumerable.Range(0, names.Length).Where(c => builders[c] is not null).ToArray();
                kept = keptColumns.Length;
                blockCapacity = Math.Max(1, BlockCells / Math.Max(1, kept));
                block = new float[blockCapacity * kept];
                continue;
            }
            int count = record.ColCount;
            if (count == 1 && names.Length > 1 && record.Span.Trim().IsEmpty) continue; // a blank line
            row++;
            long line = record.LineNumberFrom;
            if (count != names.Length)
                throw new InvalidTableException(path, row, line, count > names.Length ? null : names[count],
                    $"{count} cells, but the header names {names.Length} columns{(count < names.Length ? " (this is the first one missing)" : "")}");
            cells += kept;
            if (cells > options.MaxCells)
                throw new InvalidTableException(path, row, line, null, $"more than {options.MaxCells:N0} cells (the limit; TableReadOptions.MaxCells)");
            lines.Add(line);
            var values = block.AsSpan(blockRows * kept, kept);
            for (int k = 0; k < values.Length; k++)
            {
                int c = keptColumns[k];
                var builder = builders[c]!;
                var cell = record[c].Span;
                if (cell.Length > 0 && (cell[0] == ' ' || cell[^1] == ' ')) cell = cell.Trim(' ');
                if (cell.IsEmpty) { values[k] = float.NaN; continue; }
                if (cell[0] == '"') cell = Unquote(cell, scratch);
                // The common case first: a plain whole number in a numeric column.
                if (builder.Kind == ColumnKind.Numeric && Cells.TryParseWhole(cell, out float whole)) { values[k] = whole; continue; }
                if (builder.Kind == ColumnKind.Text) { values[k] = builder.Code(cell, row); continue; }
                if (Cells.TryParse(cell, out float value))
                {
                    if (Cells.NotFinite(value, cell) is string problem) throw new InvalidTableException(path, row, line, names[c], problem);
                    if (builder.Kind is null) builder.StartNumeric(cell, row);
                    values[k] = value;
                }
                else if (builder.Kind is null) values[k] = builder.Code(cell, row);
                else
                    throw new InvalidTableException(path, row, line, names[c],
                        $"'{Cells.Short(cell)}' is not a number, but the column holds numbers (row {builder.First.Row}: '{builder.First.Text}'); " +
                        "leave missing cells empty, or read the column as text (TableReadOptions.TextColumns, --text-columns)");
            }
            if (++blockRows == blockCapacity) Flush();
        }
        if (builders is not null) Flush();
        if (builders is null) throw new InvalidTableException(path, 0, 0, null, "the file holds no header line (only a byte-order mark or blank space?)");
        if (row == 0) throw new InvalidTableException(path, 0, 0, null, "the file has a header but no rows");
        var columns = new List<TableColumn>(kept);
        foreach (var builder in builders)
            if (builder is not null) columns.Add(builder.Build());
        return new Table(path, columns, [.. lines]);

        void Flush()
        {
            for (int k = 0; k < kept; k++) builders![keptColumns[k]]!.AppendBlock(block, k, kept, blockRows);
            blockRows = 0;
        }
    }

    /// <summary>Cells per block of rows: 256 KB, within the cache while the block is handed to the columns.</summary>
    private const int BlockCells = 1 << 16;

    /// <summary>
    /// RFC 4180: the cell's text between its quotes, each "" inside made one ". Sep has found where the cell ends (a
    /// separator or newline inside quotes does not end it); text after the closing quote is kept as it is.
    /// </summary>
    private static ReadOnlySpan<char> Unquote(ReadOnlySpan<char> cell, Scratch buffer)
    {
        if (buffer.Chars.Length < cell.Length) buffer.Chars = new char[Math.Max(cell.Length, 2 * buffer.Chars.Length)];
        var scratch = buffer.Chars;
        int length = 0;
        bool quoted = false;
        for (int i = 0; i < cell.Length; i++)
        {
            char ch = cell[i];
            if (ch != '"') scratch[length++] = ch;
            else if (quoted && i + 1 < cell.Length && cell[i + 1] == '"') { scratch[length++] = '"'; i++; }
            else quoted = !quoted;
        }
        return scratch.AsSpan(0, length).Trim(' ');
    }

    /// <summary>Room for an unquoted cell, grown as needed and reused.</summary>
    private sealed class Scratch
    {
        public char[] Chars = [];
    }

    private static string[] Header(string path, SepReader.Row record, TableReadOptions options)
    {
        var scratch = new Scratch();
        if (record.ColCount > options.MaxColumns)
            throw new InvalidTableException(path, 0, 1, null, $"the header names {record.ColCount:N0} columns, more than the limit of {options.MaxColumns:N0} (TableReadOptions.MaxColumns)");
        var names = new string[record.ColCount];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < names.Length; c++)
        {
            var name = record[c].Span.Trim(' ');
            if (name.Length > 0 && name[0] == '"') name = Unquote(name, scratch);
            // An unnamed column (pandas writes its index so) gets a name to be referred to by.
            names[c] = name.IsEmpty ? $"column{c + 1}" : name.ToString();
            if (!seen.TryAdd(names[c], c))
                throw new InvalidTableException(path, 0, 1, names[c], $"the header names this column twice (columns {seen[names[c]] + 1} and {c + 1}); names must be distinct");
        }
        if (names.Length == 1 && names[0] == "column1" && record.Span.Trim().IsEmpty)
            throw new InvalidTableException(path, 0, 1, null, "the header line is blank; a table needs a header line naming its columns");
        return names;
    }

    /// <summary>A builder per kept column (null for the others), after checking the named columns exist.</summary>
    private static ColumnBuilder?[] Keep(string path, string[] names, TableReadOptions options)
    {
        var wanted = options.Columns?.ToHashSet(StringComparer.Ordinal);
        var text = options.TextColumns.ToHashSet(StringComparer.Ordinal);
        foreach (var name in (wanted ?? []).Concat(text))
            if (!names.Contains(name))
                throw new InvalidTableException(path, 0, 1, name, $"no such column; the columns are {string.Join(", ", names.Take(12).Select(n => $"'{Cells.Short(n)}'"))}{(names.Length > 12 ? $" and {names.Length - 12} more" : "")}");
        return names.Select(n => wanted is null || wanted.Contains(n) ? new ColumnBuilder(n, text.Contains(n)) : null).ToArray();
    }
}

/// <summary>
/// A reader between the decoder and Sep that stops a record (a line, or several when a quoted cell holds newlines) longer
/// than a limit before Sep's buffer grows to hold it: a 100 MB line costs a message, not 200 MB of memory. It follows quotes
/// (RFC 4180: a quote toggles quoting, and an escaped "" toggles twice) to tell a record's end from a quoted newline.
/// </summary>
internal sealed class RecordLengthLimit(TextReader inner, int maxLength, char separator) : TextReader
{
    private readonly System.Buffers.SearchValues<char> _special = System.Buffers.SearchValues.Create(separator == '"' ? "\n" : "\n\"");
    private long _recordLength;
    private long _line = 1;
    private long _recordLine = 1;
    private bool _quoted;

    public sealed class TooLongException(long line) : Exception
    {
        public long Line { get; } = line;
    }

    public override int Read(Span<char> buffer)
    {
        int read = inner.Read(buffer);
        var rest = buffer[..read];
        while (!rest.IsEmpty)
        {
            int i = rest.IndexOfAny(_special);
            int run = i < 0 ? rest.Length : i;
            _recordLength += run;
            if (_recordLength > maxLength) throw new TooLongException(_recordLine);
            if (i < 0) break;
            if (rest[i] == '"') { _quoted = !_quoted; _recordLength++; }
            else
            {
                _line++;
                if (_quoted) _recordLength++;
                else { _recordLength = 0; _recordLine = _line; }
            }
            rest = rest[(i + 1)..];
        }
        return read;
    }

    public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));
    public override int Read() => throw new NotSupportedException("read by blocks");
    public override int Peek() => -1;

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Finds where a file stops being valid UTF-8, for the message (the decoder only says that it did).</summary>
internal static class InvalidUtf8
{
    /// <summary>The offset of the first invalid byte, its 1-based line, and which cell of that line it is in (quotes aside).</summary>
    public static (long Offset, long Line, int Cell) Find(string path, char separator)
    {
        using var stream = TableReader.Open(path);
        var buffer = new byte[1 << 16];
        var chars = new char[buffer.Length];
        long offset = 0, line = 1;
        int cell = 1, carried = 0;
        while (true)
        {
            int read = stream.Read(buffer, carried, buffer.Length - carried);
            int length = carried + read;
            var status = System.Text.Unicode.Utf8.ToUtf16(buffer.AsSpan(0, length), chars, out int consumed, out _, replaceInvalidSequences: false, isFinalBlock: read == 0);
            var done = buffer.AsSpan(0, consumed);
            int lastNewline = done.LastIndexOf((byte)'\n');
            line += done.Count((byte)'\n');
            cell = (lastNewline < 0 ? cell : 1) + done[(lastNewline + 1)..].Count((byte)separator);
            offset += consumed;
            if (status == System.Buffers.OperationStatus.InvalidData || read == 0) return (offset, line, cell);
            carried = length - consumed;
            buffer.AsSpan(consumed, carried).CopyTo(buffer);
        }
    }
}
