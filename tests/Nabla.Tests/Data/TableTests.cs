using System.Text;
using Parquet;
using Parquet.Schema;

namespace Nabla.Tests.Data;

public class TableReaderTests
{
    internal static string RepositoryTable(string name) => Path.Combine(TestFiles.SampleDirectory, "..", "tables", name);

    private static Table ReadCsv(TempDirectory dir, string text, string name = "t.csv", TableReadOptions? options = null) =>
        TableReader.Read(dir.Write(name, Encoding.UTF8.GetBytes(text)), options);

    [Fact]
    public void Rfc4180QuotesSeparatorsNewlinesCrlfAndBom()
    {
        using var dir = new TempDirectory();
        byte[] bom = [0xEF, 0xBB, 0xBF];
        string text = "name,\"x, with comma\",note\r\n\"a \"\"quoted\"\" one\",1.5,\"two\r\nlines\"\r\nplain,-2e3,\r\n";
        var table = TableReader.Read(dir.Write("q.csv", [.. bom, .. Encoding.UTF8.GetBytes(text)]));
        Assert.Equal(["name", "x, with comma", "note"], table.Columns.Select(c => c.Name));
        Assert.Equal(2, table.RowCount);
        var name = Assert.IsType<TextColumn>(table["name"]);
        Assert.Equal("a \"quoted\" one", name.CellText(0));
        Assert.Equal([1.5f, -2000f], Assert.IsType<NumericColumn>(table["x, with comma"]).Values);
        Assert.Equal("two\r\nlines", table["note"].CellText(0));
        Assert.True(table["note"].IsMissing(1));
        Assert.Equal(2, table.LineOf(0));
        Assert.Equal(4, table.LineOf(1)); // the quoted newline makes row 1 take lines 2-3
    }

    [Fact]
    public void TsvByExtensionAndTextColumnsOnRequest()
    {
        using var dir = new TempDirectory();
        var table = ReadCsv(dir, "zip\tv\n02134\t1\n10001\t2\n", "t.tsv", new TableReadOptions { TextColumns = ["zip"] });
        Assert.Equal(["02134", "10001"], Assert.IsType<TextColumn>(table["zip"]).Categories);
        Assert.Equal([1f, 2f], Assert.IsType<NumericColumn>(table["v"]).Values);
    }

    [Fact]
    public void NumbersParseAsFloat32InEveryNotation()
    {
        using var dir = new TempDirectory();
        var table = ReadCsv(dir, "v\n0\n-7\n1234567\n12345678\n3.25\n-.5\n1e-3\n+4\n 6 \n");
        Assert.Equal([0f, -7f, 1234567f, 12345678f, 3.25f, -0.5f, 0.001f, 4f, 6f], ((NumericColumn)table["v"]).Values);
    }

    [Fact]
    public void TheBundledTablesRead()
    {
        var iris = TableReader.Read(RepositoryTable("iris.csv"));
        Assert.Equal(150, iris.RowCount);
        Assert.Equal(["setosa", "versicolor", "virginica"], ((TextColumn)iris["species"]).Categories);
        var digits = TableReader.Read(RepositoryTable("digits.csv"));
        Assert.Equal((1797, 65), (digits.RowCount, digits.Columns.Count));
    }

    [Fact]
    public void ParquetRoundTripWithNullsAndText()
    {
        using var dir = new TempDirectory();
        string path = dir.File("t.parquet");
        WriteParquet(path, new DataField<double?>("x"), new double?[] { 1.5, null, -3 }, new DataField<string>("c"), new[] { "a", "b", null });
        var table = TableReader.Read(path);
        var x = Assert.IsType<NumericColumn>(table["x"]);
        Assert.Equal(1.5f, x.Values[0]);
        Assert.True(x.IsMissing(1));
        var c = Assert.IsType<TextColumn>(table["c"]);
        Assert.Equal("b", c.CellText(1));
        Assert.True(c.IsMissing(2));
    }

    internal static void WriteParquet(string path, DataField first, Array firstValues, DataField second, Array secondValues) =>
        WriteParquetAsync(path, first, firstValues, second, secondValues).GetAwaiter().GetResult();

    private static async Task WriteParquetAsync(string path, DataField first, Array firstValues, DataField second, Array secondValues)
    {
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(first, second), stream);
        using var group = writer.CreateRowGroup();
        await Write(group, first, firstValues);
        await Write(group, second, secondValues);
    }

    private static Task Write(ParquetRowGroupWriter group, DataField field, Array values) => values switch
    {
        double?[] d => group.WriteAsync<double>(field, d.AsMemory()),
        double[] d => group.WriteAsync<double>(field, d.AsMemory()),
        string?[] s => group.WriteAsync(field, s!),
        _ => throw new ArgumentException(values.GetType().Name),
    };

    // Each bad file: an InvalidTableException naming the file, and the row/line and column where it can.
    [Theory]
    [InlineData("a,b\n1,2\n3\n", "row 2 (line 3), column 'b': 1 cells, but the header names 2 columns")]
    [InlineData("a,b\n1,2\n3,4,5\n", "row 2 (line 3): 3 cells, but the header names 2 columns")]
    [InlineData("a,b\n1,2\nx,4\n", "row 2 (line 3), column 'a': 'x' is not a number, but the column holds numbers (row 1: '1')")]
    [InlineData("a,b\n1,NaN\n", "row 1 (line 2), column 'b': 'NaN' (NaN) is not a value")]
    [InlineData("a,b\n1,-inf\n", "row 1 (line 2), column 'b': '-inf' (infinity)")]
    [InlineData("a,b\n1,1e39\n", "row 1 (line 2), column 'b': '1e39' is beyond the float32 range")]
    [InlineData("a,a\n1,2\n", "line 1, column 'a': the header names this column twice (columns 1 and 2)")]
    [InlineData("", "the file is empty")]
    [InlineData("a,b\n", "the file has a header but no rows")]
    [InlineData("a,b\r\n\r\n", "the file has a header but no rows")]
    public void BadCsvNamesFileRowAndColumn(string text, string expected)
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<InvalidTableException>(() => ReadCsv(dir, text, "bad.csv"));
        Assert.Contains("bad.csv: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void InvalidUtf8IsAnErrorWithLineByteAndCell()
    {
        using var dir = new TempDirectory();
        byte[] bytes = [.. "a,b\n1,x\n2,"u8, 0xC3, 0x28, .. "\n"u8];
        var e = Assert.Throws<InvalidTableException>(() => TableReader.Read(dir.Write("u.csv", bytes)));
        Assert.Contains("u.csv: line 3: byte 10 (cell 2 of the line) is not valid UTF-8", e.Message);
    }

    [Fact]
    public void AHundredMegabyteLineStopsAtTheCapWithoutBufferingIt()
    {
        using var dir = new TempDirectory();
        string path = dir.File("long.csv");
        using (var file = File.Create(path))
        {
            file.Write("a,b\n1,"u8);
            var chunk = new byte[1 << 20];
            chunk.AsSpan().Fill((byte)'7');
            for (int i = 0; i < 100; i++) file.Write(chunk);
            file.Write("\n"u8);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidTableException>(() => TableReader.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("long.csv: line 2: a record longer than 4,194,304 characters", e.Message);
        Assert.True(allocated < 64L << 20, $"reading the 100 MB line allocated {allocated:N0} bytes");
    }

    [Fact]
    public void AnOpenQuoteIsCaughtByTheRecordCap()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<InvalidTableException>(() =>
            ReadCsv(dir, "a,b\n1,\"open\n" + string.Concat(Enumerable.Repeat("2,3\n", 200)), "q.csv", new TableReadOptions { MaxRecordLength = 500 }));
        Assert.Contains("line 2: a record longer than 500 characters", e.Message);
    }

    [Fact]
    public void AHeaderWithTooManyColumnsIsRefused()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<InvalidTableException>(() =>
            ReadCsv(dir, string.Join(",", Enumerable.Range(0, 300).Select(i => $"c{i}")) + "\n", "wide.csv", new TableReadOptions { MaxColumns = 100 }));
        Assert.Contains("the header names 300 columns, more than the limit of 100", e.Message);
    }

    [Fact]
    public void TruncatedParquetIsAnInvalidTable()
    {
        using var dir = new TempDirectory();
        string path = dir.File("t.parquet");
        WriteParquet(path, new DataField<double>("x"), new double[] { 1, 2, 3 }, new DataField<double>("y"), new double[] { 4, 5, 6 });
        byte[] bytes = File.ReadAllBytes(path);
        foreach (int keep in new[] { bytes.Length - 1, bytes.Length / 2, 10, 3 })
        {
            string cut = dir.Write($"cut{keep}.parquet", bytes[..keep]);
            var e = Assert.Throws<InvalidTableException>(() => TableReader.Read(cut));
            Assert.Contains($"cut{keep}.parquet: not a valid Parquet file", e.Message);
        }
    }

    [Fact]
    public async Task NestedParquetColumnsAreRefusedByName()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nested.parquet");
        await WriteNestedParquet(path);
        var e = Assert.Throws<InvalidTableException>(() => TableReader.Read(path));
        Assert.Contains("nested.parquet: column 'Scores': is a nested column", e.Message);
    }

    /// <summary>A Parquet file with a flat column X and a list column Scores.</summary>
    internal static async Task WriteNestedParquet(string path)
    {
        await using var stream = File.Create(path);
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(new[] { new Nested { X = 1, Scores = [1, 2] }, new Nested { X = 2, Scores = [3] } }, stream);
    }

    private sealed class Nested
    {
        public double X { get; set; }
        public List<double> Scores { get; set; } = [];
    }

    [Fact]
    public void NaNInParquetIsAnErrorNamingRowAndColumn()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nan.parquet");
        WriteParquet(path, new DataField<double>("x"), new double[] { 1, double.NaN }, new DataField<double>("y"), new double[] { 4, 5 });
        var e = Assert.Throws<InvalidTableException>(() => TableReader.Read(path));
        Assert.Contains("nan.parquet: row 2, column 'x': 'NaN' (NaN) is not a value", e.Message);
    }
}

public class TablePreprocessingTests
{
    private static Table Table(params TableColumn[] columns) => new("mem", columns);

    [Fact]
    public void StandardisesOnTheTrainingRowsOnlyAndOneHotsText()
    {
        var table = Table(
            new NumericColumn("x", [1, 3, 100, 5]),
            new TextColumn("colour", [0, 1, 0, 2], ["red", "blue", "green"]),
            new TextColumn("y", [0, 1, 0, 1], ["no", "yes"]));
        var rows = TablePreprocessing.Rows(table, new TableSettings { Targets = ["y"] });
        var pre = TablePreprocessing.Fit(rows, [0, 1]); // rows 2 and 3 are not training rows
        var x = pre.Features[0];
        Assert.Equal(2, x.Mean);
        Assert.Equal(1, x.StandardDeviation);
        Assert.Equal(["blue", "red"], pre.Features[1].Categories); // green is not in the training rows
        Assert.Equal(3, pre.InputSize);
        var data = pre.ToDataset(table, [0, 1, 2, 3]);
        Assert.Equal([-1f, 0, 1, /**/ 1, 1, 0, /**/ 98, 0, 1, /**/ 3, 0, 0], data.Inputs); // green → all zeros
        Assert.NotNull(data.Labels);
        Assert.Equal([0, 1, 0, 1], data.Labels);
        Assert.Equal(["no", "yes"], pre.Classes);
    }

    [Fact]
    public void WholeNumberTargetsAreClassesOtherNumbersRegression()
    {
        var classes = Table(new NumericColumn("x", [1, 2, 3, 4]), new NumericColumn("y", [2, 0, 2, 0]));
        Assert.Equal(TableTask.Classification, TablePreprocessing.Rows(classes, new TableSettings { Targets = ["y"] }).Task);
        var values = Table(new NumericColumn("x", [1, 2, 3, 4]), new NumericColumn("y", [0.5f, 1, 2, 3]));
        Assert.Equal(TableTask.Regression, TablePreprocessing.Rows(values, new TableSettings { Targets = ["y"] }).Task);
        Assert.Equal(TableTask.Regression, TablePreprocessing.Rows(classes, new TableSettings { Targets = ["y"], Task = TableTask.Regression }).Task);
    }

    [Fact]
    public void RegressionTargetsAreStandardisedAndTheJsonRoundTrips()
    {
        var table = Table(new NumericColumn("x", [1, 2, 3, 4]), new TextColumn("c", [0, 1, -1, 0], ["a", "b"]), new NumericColumn("y", [10.5f, 20, 30, 40]));
        var rows = TablePreprocessing.Rows(table, new TableSettings { Targets = ["y"], Missing = MissingValues.Mean });
        var pre = TablePreprocessing.Fit(rows, rows.Indices);
        var data = pre.ToDataset(table, rows.Indices);
        Assert.Equal(0, data.Targets!.Average(), 5);
        Assert.Equal([0f, 1f], data.Inputs.AsSpan(1 * 3 + 1, 2).ToArray()); // row 1 is 'b'
        Assert.Equal([2 / 3f, 1 / 3f], data.Inputs.AsSpan(2 * 3 + 1, 2).ToArray()); // empty → the training frequencies of a, b
        var back = TablePreprocessing.FromJson(pre.ToJson(), "m");
        Assert.Equal(pre.ToJson(), back.ToJson());
        Assert.Equal(data.Inputs, back.ToDataset(table, rows.Indices).Inputs);
    }

    [Fact]
    public void EmptyCellsAreErrorsNamingRowAndColumnUnlessDroppedOrFilled()
    {
        var table = new Table("t.csv", [new NumericColumn("x", [1, float.NaN, 3, 4]), new NumericColumn("y", [0, 1, 0, 1])], [2, 3, 4, 5]);
        var e = Assert.Throws<InvalidTableException>(() => TablePreprocessing.Rows(table, new TableSettings { Targets = ["y"] }));
        Assert.Contains("t.csv: row 2 (line 3), column 'x': the cell is empty (a missing value); use --missing mean", e.Message);
        Assert.Equal([0, 2, 3], TablePreprocessing.Rows(table, new TableSettings { Targets = ["y"], Missing = MissingValues.Drop }).Indices);
        Assert.Equal(4, TablePreprocessing.Rows(table, new TableSettings { Targets = ["y"], Missing = MissingValues.Mean }).Indices.Length);
    }

    [Fact]
    public void UnusableTargetsAreRefused()
    {
        var table = new Table("t.csv", [new NumericColumn("x", [1, 2, 3]), new TextColumn("y", [0, 0, 0], ["only"])]);
        Assert.Contains("column 'y': every one of the 3 rows has the same class ('only')",
            Assert.Throws<InvalidTableException>(() => TablePreprocessing.Rows(table, new TableSettings { Targets = ["y"] })).Message);
        Assert.Contains("column 'z': no such column; the columns are 'x', 'y'",
            Assert.Throws<InvalidTableException>(() => TablePreprocessing.Rows(table, new TableSettings { Targets = ["z"] })).Message);
        Assert.Contains("a regression target must hold numbers",
            Assert.Throws<InvalidTableException>(() => TablePreprocessing.Rows(table, new TableSettings { Targets = ["y"], Task = TableTask.Regression })).Message);
    }

    [Fact]
    public void TheSplitIsSeededStratifiedAndComplete()
    {
        var labels = Enumerable.Range(0, 100).Select(i => i < 80 ? 0 : i < 95 ? 1 : 2).ToArray();
        var table = Table(new NumericColumn("x", Enumerable.Range(0, 100).Select(i => (float)i).ToArray()), new TextColumn("y", labels, ["a", "b", "c"]));
        var rows = TablePreprocessing.Rows(table, new TableSettings { Targets = ["y"] });
        var parts = rows.Split([0.6, 0.2, 0.2], seed: 7);
        Assert.Equal(Enumerable.Range(0, 100), parts.SelectMany(p => p).Order());
        Assert.Equal([48, 9, 3], new[] { 0, 1, 2 }.Select(c => parts[0].Count(r => labels[r] == c)));
        Assert.Equal([16, 3, 1], new[] { 0, 1, 2 }.Select(c => parts[1].Count(r => labels[r] == c)));
        Assert.Equal(parts, rows.Split([0.6, 0.2, 0.2], seed: 7));
        Assert.NotEqual(parts[0], rows.Split([0.6, 0.2, 0.2], seed: 8)[0]);
    }

    [Fact]
    public void MetadataThatLiesIsAnInvalidFile()
    {
        foreach (var json in new[] { "{", "[]", "{\"version\":2}", "{\"version\":1,\"task\":\"classification\",\"missing\":\"error\",\"features\":[{\"name\":\"x\",\"kind\":\"numeric\",\"mean\":0,\"std\":0}],\"targets\":[{\"name\":\"y\",\"classes\":[\"a\",\"b\"]}]}" })
            Assert.StartsWith("m.safetensors: metadata 'nabla.table'", Assert.Throws<InvalidFileException>(() => TablePreprocessing.FromJson(json, "m.safetensors")).Message);
    }
}
