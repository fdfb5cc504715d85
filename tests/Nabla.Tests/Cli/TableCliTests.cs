using System.Text;
using System.Text.Json;
using Nabla.Cli;
using Nabla.Tests.Data;
using Parquet.Schema;
using static Nabla.Tests.Cli.CliProcess;

namespace Nabla.Tests.Cli;

/// <summary>`nabla train` on tables, `nabla predict` and `nabla evaluate --data TABLE`, end to end through the built CLI.</summary>
public class TableCliTests
{
    private static string Table(string name) => TableReaderTests.RepositoryTable(name);

    /// <summary>Exit 3, one "nabla: error:" line holding every fragment, and nothing left in <paramref name="dir"/> but the inputs.</summary>
    private static void AssertBadInput(Result result, TempDirectory dir, int filesBefore, params string[] fragments)
    {
        Assert.True(result.ExitCode == ExitCodes.InvalidInput, $"exit code {result.ExitCode}; stderr: {result.Stderr}");
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("nabla: error: ", line);
        foreach (var fragment in fragments) Assert.Contains(fragment, line);
        Assert.Equal(filesBefore, Directory.GetFiles(dir.Path).Length); // no model, no output, no temporary file
    }

    public static TheoryData<string, string[], string[]> BadTables => new()
    {
        { "a,b,y\n1,2,0\n3,4\n", [], ["bad.csv: row 2 (line 3), column 'y': 2 cells, but the header names 3 columns"] },
        { "a,b,y\n1,2,0\n3,four,1\n", [], ["bad.csv: row 2 (line 3), column 'b': 'four' is not a number"] },
        { "a,b,y\n1,2,0\n3,4,1\n", ["--target", "z"], ["bad.csv: column 'z': no such column; the columns are 'a', 'b', 'y'"] },
        { "a,b,y\n1,2,k\n3,4,k\n", [], ["bad.csv: column 'y': every one of the 2 rows has the same class ('k')"] },
        { "", [], ["bad.csv: the file is empty"] },
        { "a,b,y\n", [], ["bad.csv: the file has a header but no rows"] },
        { "a,b,y\n1,nan,0\n", [], ["bad.csv: row 1 (line 2), column 'b': 'nan' (NaN)"] },
        { "a,b,y\n1,Infinity,0\n", [], ["bad.csv: row 1 (line 2), column 'b': 'Infinity' (infinity)"] },
        { "a,a,y\n1,2,0\n", [], ["bad.csv: line 1, column 'a': the header names this column twice"] },
        { "a,b,y\n1,,0\n2,3,1\n", [], ["bad.csv: row 1 (line 2), column 'b': the cell is empty (a missing value); use --missing mean"] },
    };

    [Theory]
    [MemberData(nameof(BadTables))]
    public void BadTablesAreOneLineErrorsWithExit3AndNothingWritten(string csv, string[] more, string[] fragments)
    {
        using var dir = new TempDirectory();
        string data = dir.Write("bad.csv", Encoding.UTF8.GetBytes(csv));
        string[] target = more.Contains("--target") ? [] : ["--target", "y"];
        AssertBadInput(Run(["train", "--data", data, .. target, .. more, "--epochs", "1", "--out", dir.File("m.safetensors")]), dir, 1, fragments);
    }

    [Fact]
    public void InvalidUtf8AHundredMegabyteLineAndBrokenParquetAreBadInput()
    {
        using var dir = new TempDirectory();
        string utf8 = dir.Write("u.csv", [.. "a,y\n1,0\n2,"u8, 0xFF, .. "\n"u8]);
        AssertBadInput(Run("train", "--data", utf8, "--target", "y", "--out", dir.File("m.safetensors")), dir, 1, "u.csv: line 3: byte 10 (cell 2 of the line) is not valid UTF-8");

        string longLine = dir.File("long.csv");
        using (var file = File.Create(longLine))
        {
            file.Write("a,y\n1,"u8);
            var chunk = new byte[1 << 20];
            chunk.AsSpan().Fill((byte)'5');
            for (int i = 0; i < 100; i++) file.Write(chunk);
            file.Write("\n"u8);
        }
        AssertBadInput(Run("train", "--data", longLine, "--target", "y", "--out", dir.File("m.safetensors")), dir, 2, "long.csv: line 2: a record longer than 4,194,304 characters");
        File.Delete(longLine);

        string parquet = dir.File("t.parquet");
        TableReaderTests.WriteParquet(parquet, new DataField<double>("a"), new double[] { 1, 2, 3, 4 }, new DataField<double>("y"), new double[] { 0, 1, 0, 1 });
        string truncated = dir.Write("cut.parquet", File.ReadAllBytes(parquet)[..40]);
        File.Delete(parquet);
        AssertBadInput(Run("train", "--data", truncated, "--target", "y", "--out", dir.File("m.safetensors")), dir, 2, "cut.parquet: not a valid Parquet file");
    }

    [Fact]
    public async Task NestedParquetColumnsAreBadInput()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nested.parquet");
        await TableReaderTests.WriteNestedParquet(path);
        AssertBadInput(Run("train", "--data", path, "--target", "X", "--out", dir.File("m.safetensors")), dir, 1, "nested.parquet: column 'Scores': is a nested column");
    }

    [Fact]
    public void TrainPredictAndEvaluateAClassifierOnIris()
    {
        using var dir = new TempDirectory();
        string model = dir.File("iris.safetensors");
        var train = Run("train", "--data", Table("iris.csv"), "--target", "species", "--epochs", "60", "--out", model, "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        using var json = JsonDocument.Parse(train.Stdout);
        var test = json.RootElement.GetProperty("test");
        Assert.Equal(30, test.GetProperty("rows").GetInt32());
        Assert.True(test.GetProperty("accuracy").GetDouble() >= 0.9, train.Stdout);
        Assert.Equal(3, test.GetProperty("per_class").GetArrayLength());

        // predict: rows in order, class then probabilities summing to 1; only the model's columns are needed.
        string input = dir.Write("rows.csv", Encoding.UTF8.GetBytes("petal width (cm),sepal length (cm),extra,sepal width (cm),petal length (cm)\n0.2,5.1,zz,3.5,1.4\n2.3,6.7,zz,3.0,5.2\n"));
        var predict = Run("predict", "--model", model, "--input", input, "--output", dir.File("out.csv"));
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var lines = File.ReadAllLines(dir.File("out.csv"));
        Assert.Equal("species,p(setosa),p(versicolor),p(virginica)", lines[0]);
        Assert.StartsWith("setosa,", lines[1]);
        Assert.StartsWith("virginica,", lines[2]);
        Assert.Equal(1.0, lines[1].Split(',').Skip(1).Sum(double.Parse), 4);

        var evaluate = Run("evaluate", "--model", model, "--data", Table("iris.csv"));
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        Assert.Contains("precision  recall  support", evaluate.Stdout);
        Assert.Contains("virginica", evaluate.Stdout);
    }

    [Fact]
    public void RegressionReportsMseMaeAndR2EachEpoch()
    {
        using var dir = new TempDirectory();
        var train = Run("train", "--data", Table("diabetes.csv"), "--target", "progression", "--epochs", "3", "--json", "--out", dir.File("d.safetensors"));
        Assert.True(train.ExitCode == 0, train.Stderr);
        using var json = JsonDocument.Parse(train.Stdout);
        Assert.Equal("regression", json.RootElement.GetProperty("task").GetString());
        var epochs = json.RootElement.GetProperty("epochs");
        Assert.Equal(3, epochs.GetArrayLength());
        foreach (var e in epochs.EnumerateArray())
        {
            Assert.True(e.GetProperty("evaluation_mse").GetDouble() > 0);
            Assert.True(e.GetProperty("evaluation_mae").GetDouble() > 0);
            Assert.True(e.GetProperty("evaluation_r2").GetDouble() < 1);
        }
        Assert.Contains("Epoch 2: test MSE", train.Stderr);

        var predict = Run("predict", "--model", dir.File("d.safetensors"), "--input", Table("diabetes.csv"));
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var lines = predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(443, lines.Length); // header + one line per input row
        Assert.Equal("progression", lines[0]);
        Assert.InRange(lines.Skip(1).Select(double.Parse).Average(), 100, 200); // back in the target's units (mean 152)
    }

    [Fact]
    public void SeveralTargetsAreOneRegression()
    {
        var train = Run("train", "--data", Table("linnerud.csv"), "--target", "Weight,Waist,Pulse", "--epochs", "5", "--split", "0.75,0.25", "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        using var json = JsonDocument.Parse(train.Stdout);
        Assert.Equal([3, 100, 3], json.RootElement.GetProperty("layers").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void PredictRefusesInputThatDoesNotMatchTheModelAndWritesNothing()
    {
        using var dir = new TempDirectory();
        string model = dir.File("iris.safetensors");
        Assert.Equal(0, Run("train", "--data", Table("iris.csv"), "--target", "species", "--epochs", "2", "--out", model).ExitCode);
        string output = dir.File("out.csv");

        AssertBadInput(Run("predict", "--model", model, "--input", Table("wine.csv"), "--output", output), dir, 1,
            "takes column 'sepal length (cm)' as an input", "wine.csv: line 1, column 'sepal length (cm)': no such column");
        string text = dir.Write("text.csv", Encoding.UTF8.GetBytes("sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n1,2,3,big\n"));
        AssertBadInput(Run("predict", "--model", model, "--input", text, "--output", output), dir, 2, "text.csv: row 1 (line 2), column 'petal width (cm)': the model learnt numbers in this column, but it holds text ('big')");
        File.Delete(text);
        string empty = dir.Write("empty.csv", Encoding.UTF8.GetBytes("sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n1,2,,4\n"));
        AssertBadInput(Run("predict", "--model", model, "--input", empty, "--output", output), dir, 2, "empty.csv: row 1 (line 2), column 'petal length (cm)': the cell is empty");
    }
}
