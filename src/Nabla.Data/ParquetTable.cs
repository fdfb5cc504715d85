using System.Globalization;
using System.Numerics;
using Parquet;
using Parquet.Schema;

namespace Nabla.Data;

/// <summary>Parquet files through Parquet.Net (managed code only: its codecs, Snappier, ZstdSharp and K4os LZ4, are C#).</summary>
internal static class ParquetTable
{
    public static Table Read(string path, TableReadOptions options)
    {
        using var stream = TableReader.Open(path);
        if (stream.Length == 0) throw new InvalidTableException(path, 0, 0, null, "the file is empty");
        try
        {
            return ReadAsync(path, stream, options).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not (NablaException or OutOfMemoryException))
        {
            // Parquet.Net reports damaged files through many exception types (its own, IO, format, index, overflow).
            throw new InvalidTableException(path, 0, 0, null, $"not a valid Parquet file ({e.GetType().Name}: {FirstLine(e.Message)}); is it truncated or damaged?");
        }
    }

    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return Cells.Short(end < 0 ? message : message[..end]);
    }

    private static async Task<Table> ReadAsync(string path, Stream stream, TableReadOptions options)
    {
        await using var reader = await ParquetReader.CreateAsync(stream);
        var fields = reader.Schema.Fields;
        if (fields.Count > options.MaxColumns)
            throw new InvalidTableException(path, 0, 0, null, $"the schema names {fields.Count:N0} columns, more than the limit of {options.MaxColumns:N0} (TableReadOptions.MaxColumns)");
        var names = fields.Select(f => f.Name).ToArray();
        var wanted = options.Columns?.ToHashSet(StringComparer.Ordinal);
        var text = options.TextColumns.ToHashSet(StringComparer.Ordinal);
        foreach (var name in (wanted ?? []).Concat(text))
            if (!names.Contains(name))
                throw new InvalidTableException(path, 0, 0, name, $"no such column; the columns are {string.Join(", ", names.Take(12).Select(n => $"'{Cells.Short(n)}'"))}");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
            if (!seen.Add(name)) throw new InvalidTableException(path, 0, 0, name, "the schema names this column twice; names must be distinct");

        var kept = new List<(DataField Field, ColumnBuilder Builder)>();
        foreach (var field in fields)
        {
            if (wanted is not null && !wanted.Contains(field.Name)) continue;
            if (field is not DataField data || data.IsArray || field.MaxRepetitionLevel > 0)
                throw new InvalidTableException(path, 0, 0, field.Name,
                    $"is a nested column ({field.SchemaType}); Nabla reads flat columns of numbers, booleans or text (flatten it first, or leave it out)");
            kept.Add((data, new ColumnBuilder(field.Name, text.Contains(field.Name))));
        }
        if (kept.Count == 0) throw new InvalidTableException(path, 0, 0, null, "the file has no columns");

        long rowsRead = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            long rows = group.RowCount;
            if (rows < 0 || rows > Array.MaxLength || (rowsRead + rows) * kept.Count > options.MaxCells)
                throw new InvalidTableException(path, rowsRead + 1, 0, null,
                    $"row group {g} declares {rows:N0} rows, which would take the table past {options.MaxCells:N0} cells (the limit; TableReadOptions.MaxCells)");
            foreach (var (field, builder) in kept)
                await ReadColumn(path, group, field, builder, (int)rows, rowsRead);
            rowsRead += rows;
        }
        if (rowsRead == 0) throw new InvalidTableException(path, 0, 0, null, "the file has columns but no rows");
        return new Table(path, kept.Select(k => k.Builder.Build()).ToList());
    }

    private static Task ReadColumn(string path, ParquetRowGroupReader group, DataField field, ColumnBuilder builder, int rows, long first)
    {
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        return type switch
        {
            _ when type == typeof(string) || type == typeof(ReadOnlyMemory<char>) => ReadText(group, field, builder, rows, first),
            _ when type == typeof(float) => ReadNumbers<float>(path, group, field, builder, rows, first),
            _ when type == typeof(double) => ReadNumbers<double>(path, group, field, builder, rows, first),
            _ when type == typeof(int) => ReadNumbers<int>(path, group, field, builder, rows, first),
            _ when type == typeof(long) => ReadNumbers<long>(path, group, field, builder, rows, first),
            _ when type == typeof(short) => ReadNumbers<short>(path, group, field, builder, rows, first),
            _ when type == typeof(sbyte) => ReadNumbers<sbyte>(path, group, field, builder, rows, first),
            _ when type == typeof(byte) => ReadNumbers<byte>(path, group, field, builder, rows, first),
            _ when type == typeof(ushort) => ReadNumbers<ushort>(path, group, field, builder, rows, first),
            _ when type == typeof(uint) => ReadNumbers<uint>(path, group, field, builder, rows, first),
            _ when type == typeof(ulong) => ReadNumbers<ulong>(path, group, field, builder, rows, first),
            _ when type == typeof(decimal) => ReadNumbers<decimal>(path, group, field, builder, rows, first),
            _ when type == typeof(bool) => ReadBooleans(group, field, builder, rows, first),
            _ => throw new InvalidTableException(path, 0, 0, field.Name,
                $"holds {type.Name} values, which Nabla does not read; store it as numbers (e.g. seconds since an epoch) or text"),
        };
    }

    private static async Task ReadNumbers<T>(string path, ParquetRowGroupReader group, DataField field, ColumnBuilder builder, int rows, long first)
        where T : struct, INumberBase<T>
    {
        var values = new T?[rows];
        await group.ReadAsync<T>(field, values.AsMemory(), null);
        for (int i = 0; i < rows; i++)
        {
            if (values[i] is not T value) { builder.AddEmpty(); continue; }
            if (builder.Kind == ColumnKind.Text) { builder.AddText(Format(value), first + i + 1); continue; }
            // Through double, so that a value beyond float32 shows as what it is rather than as float.MaxValue.
            float x = (float)double.CreateSaturating(value);
            if (Cells.NotFinite(x, Format(value)) is string problem) throw new InvalidTableException(path, first + i + 1, 0, field.Name, problem);
            builder.AddNumber(x, builder.Kind is null ? Format(value) : "", first + i + 1);
        }
    }

    private static async Task ReadBooleans(ParquetRowGroupReader group, DataField field, ColumnBuilder builder, int rows, long first)
    {
        var values = new bool?[rows];
        await group.ReadAsync<bool>(field, values.AsMemory(), null);
        for (int i = 0; i < rows; i++)
        {
            if (values[i] is not bool value) builder.AddEmpty();
            else if (builder.Kind == ColumnKind.Text) builder.AddText(value ? "true" : "false", first + i + 1);
            else builder.AddNumber(value ? 1 : 0, value ? "true" : "false", first + i + 1);
        }
    }

    private static async Task ReadText(ParquetRowGroupReader group, DataField field, ColumnBuilder builder, int rows, long first)
    {
        var values = new string?[rows];
        await group.ReadAsync(field, values.AsMemory(), null);
        for (int i = 0; i < rows; i++)
        {
            var cell = values[i].AsSpan();
            if (values[i] is null || cell.Trim(' ').IsEmpty) builder.AddEmpty();
            else builder.AddText(cell, first + i + 1);
        }
    }

    private static string Format<T>(T value) where T : struct, INumberBase<T> => value.ToString(null, CultureInfo.InvariantCulture);
}
