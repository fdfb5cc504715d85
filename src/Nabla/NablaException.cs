namespace Nabla;

/// <summary>
/// The one exception type Nabla throws for bad input: a file that is not what it claims, an argument
/// out of range, shapes that disagree. The message says what is wrong and where (file, byte offset,
/// argument), so a command-line front end can print it as one line.
/// </summary>
public class NablaException : Exception
{
    /// <summary>An error whose <paramref name="message"/> says what is wrong and where, in one line.</summary>
    public NablaException(string message) : base(message) { }
    /// <summary>As <see cref="NablaException(string)"/>, keeping the <paramref name="inner"/> exception that revealed the problem.</summary>
    public NablaException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A data or model file whose bytes are not valid. <see cref="Path"/> and <see cref="Offset"/> say where.</summary>
public class InvalidFileException : NablaException
{
    /// <summary>The file, as the caller named it.</summary>
    public string Path { get; }
    /// <summary>Byte offset in the (decompressed) file where the problem was found, or -1 when it concerns the whole file.</summary>
    public long Offset { get; }

    /// <summary>The message reads "<paramref name="path"/>: at byte <paramref name="offset"/>: <paramref name="problem"/>" (without the offset when it is negative).</summary>
    public InvalidFileException(string path, long offset, string problem)
        : base(offset >= 0 ? $"{path}: at byte {offset}: {problem}" : $"{path}: {problem}")
    {
        Path = path;
        Offset = offset;
    }

    /// <summary>For subclasses that say where in their own words (a table's row and column).</summary>
    protected InvalidFileException(string path, string message) : base(message)
    {
        Path = path;
        Offset = -1;
    }
}

/// <summary>
/// A table (CSV, TSV, Parquet) with a cell, row or column that cannot be used. The message names the file, the row
/// (1-based, counting data rows; for text files also the line) and the column.
/// </summary>
public sealed class InvalidTableException : InvalidFileException
{
    /// <summary>The 1-based data row (the header is not counted), or 0 when the problem is not in one row.</summary>
    public long Row { get; }
    /// <summary>The column's name, or null when the problem is not in one column.</summary>
    public string? Column { get; }

    /// <param name="path">The file.</param>
    /// <param name="row">1-based data row, 0 for none.</param>
    /// <param name="line">1-based line of a text file where the row starts, 0 for none (Parquet).</param>
    /// <param name="column">The column's name, or null.</param>
    /// <param name="problem">What is wrong, as the end of one sentence.</param>
    public InvalidTableException(string path, long row, long line, string? column, string problem)
        : base(path, Where(path, row, line, column) + problem)
    {
        Row = row;
        Column = column;
    }

    private static string Where(string path, long row, long line, string? column)
    {
        var where = new System.Text.StringBuilder(path).Append(": ");
        if (row > 0) where.Append("row ").Append(row);
        if (line > 0) where.Append(row > 0 ? " (line " : "line ").Append(line).Append(row > 0 ? ")" : "");
        if (column is not null) where.Append(row > 0 || line > 0 ? ", " : "").Append("column '").Append(Shorten(column)).Append('\'');
        if (row > 0 || line > 0 || column is not null) where.Append(": ");
        return where.ToString();
    }

    /// <summary>A name or cell for a message, cut short: a hostile file may hold megabytes in one.</summary>
    public static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
