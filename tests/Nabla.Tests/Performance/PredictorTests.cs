using Nabla.Tests.Data;

namespace Nabla.Tests.Performance;

[Collection(nameof(AllocationCounting))]
public class PredictorTests
{
    /// <summary>A predictor for iris-like rows: two numeric columns and one text column, three classes.</summary>
    private static Predictor MixedPredictor(out Table table)
    {
        table = new Table("mem", [
            new NumericColumn("x", [1, 2, 3, 4, 5, 6]),
            new NumericColumn("z", [10, 20, 10, 20, 10, 20]),
            new TextColumn("colour", [0, 1, 2, 0, 1, 2], ["red", "green", "blue"]),
            new TextColumn("y", [0, 1, 2, 0, 1, 2], ["a", "b", "c"])]);
        var rows = TablePreprocessing.Rows(table, new TableSettings { Targets = ["y"] });
        var pre = TablePreprocessing.Fit(rows, rows.Indices);
        var network = new Network<float>([pre.InputSize, 7, pre.OutputSize], [Activation.ReLU, Activation.Softmax], Initialization.ScaledNormal, seed: 3);
        return new Predictor(network, pre);
    }

    [Fact]
    public void OneRowAtATimeAllocatesNothing()
    {
        var predictor = MixedPredictor(out _);
        var row = predictor.CreateRow();
        var output = new float[3];
        void PredictOnce(int i)
        {
            row.Set(0, i % 7);
            row.Set("z", 10f);
            row.Set(2, (i % 2 == 0 ? "red" : "blue").AsSpan());
            predictor.Predict(row, output);
        }
        for (int i = 0; i < 100; i++) PredictOnce(i); // warm-up: JIT, this thread's buffers
        long allocated = TestFiles.SteadyAllocation(() => { for (int i = 0; i < 10_000; i++) PredictOnce(i); });
        Assert.True(allocated == 0, $"10,000 single-row predictions allocated {allocated} bytes (the fewest of three rounds)");

        var numeric = Predictor.Load(TrainedIris());
        Span<float> values = [5.1f, 3.5f, 1.4f, 0.2f];
        for (int i = 0; i < 100; i++) numeric.Predict(values, output);
        values = default;
        Assert.Equal(0, TestFiles.SteadyAllocation(() => { Span<float> o = stackalloc float[3]; for (int i = 0; i < 10_000; i++) numeric.Predict([5.1f, 3.5f, 1.4f, 0.2f], o); }));
    }

    private static string? _iris;

    /// <summary>A model trained on iris.csv through the library, as an application would.</summary>
    private static string TrainedIris()
    {
        if (_iris is not null) return _iris;
        var table = TableReader.Read(TableReaderTests.RepositoryTable("iris.csv"));
        var rows = TablePreprocessing.Rows(table, new TableSettings { Targets = ["species"] });
        var parts = rows.Split([0.8, 0.2], seed: 1);
        var pre = TablePreprocessing.Fit(rows, parts[0]);
        var network = new Network<float>([pre.InputSize, 16, pre.OutputSize], [Activation.ReLU, Activation.Softmax], Initialization.ScaledNormal, seed: 1);
        var sgd = new Sgd<float>(network, Cost.LogLikelihood, 0.01f, 16, seed: 1) { Optimizer = Optimizer<float>.Adam(network.Sizes) };
        sgd.Train(pre.ToDataset(table, parts[0]), epochs: 60);
        string path = Path.Combine(Path.GetTempPath(), $"nabla-iris-{Environment.ProcessId}.safetensors");
        ModelFile.Save(network, Cost.LogLikelihood, path, new Dictionary<string, string> { [TablePreprocessing.MetadataKey] = pre.ToJson() });
        return _iris = path;
    }

    [Fact]
    public void RowBatchAndFileAgreeAndThreadsShareOnePredictor()
    {
        var predictor = Predictor.Load(TrainedIris());
        var table = TableReader.Read(TableReaderTests.RepositoryTable("iris.csv"));
        var batch = predictor.Predict(table);
        Assert.True(Enumerable.Range(0, table.RowCount).Count(r => batch.ClassName(r) == table["species"].CellText(r)) >= 135);

        var columns = predictor.Features.Select(f => (NumericColumn)table[f.Name]).ToArray();
        var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, _ =>
        {
            Span<float> values = stackalloc float[4], output = stackalloc float[3];
            for (int r = 0; r < table.RowCount; r++)
            {
                for (int f = 0; f < 4; f++) values[f] = columns[f].Values[r];
                int c = predictor.Predict(values, output);
                // One row through the vector path, a batch through the matrix path: the same class, nearly the same numbers.
                if (c != batch.ClassIndices![r] || Math.Abs(output[c] - batch.Row(r)[c]) > 1e-5f) errors.Add($"row {r}: {c} vs {batch.ClassIndices[r]}");
            }
        });
        Assert.Empty(errors);
    }

    [Fact]
    public void TextCategoriesUnseenAndUnsetColumnsBehaveAsDocumented()
    {
        var predictor = MixedPredictor(out var table);
        var row = predictor.CreateRow();
        Span<float> output = stackalloc float[3];
        row.Set("x", 2);
        Assert.Contains("input column 'z' was not set", Assert.Throws<NablaException>(() => predictor.Predict(row, new float[3])).Message);
        row.Set("z", 20);
        row.Set("colour", "purple"); // never seen: all-zero one-hot
        predictor.Predict(row, output);
        Assert.Equal(1, output.ToArray().Sum(), 5);
        Assert.Contains("no input column 'nope'", Assert.Throws<NablaException>(() => row.Set("nope", 1f)).Message);
        Assert.Contains("is empty", Assert.Throws<NablaException>(() => row.Set("x", float.NaN)).Message);
        Assert.Equal(6, predictor.Predict(table).Count);
    }
    [Fact]
    public void ImagesOneAtATimeAllocateNothingAgreeWithTheBatchAndTravelInTheModelFile()
    {
        var network = new Network<float>([12, 8, 3], [Activation.ReLU, Activation.Softmax], Initialization.ScaledNormal, seed: 4);
        var predictor = new Predictor(network, new ImageInputs(3, 4, ["cat", "dog", "emu"]));
        var random = new Random(2);
        var pixels = new byte[50 * 12];
        random.NextBytes(pixels);
        var batch = predictor.Predict(new IdxImages(pixels, 50, 3, 4));
        var output = new float[3];
        for (int i = 0; i < 50; i++)
        {
            int c = predictor.Predict(pixels.AsSpan(12 * i, 12), output);
            Assert.Equal(batch.ClassIndices![i], c);
            for (int k = 0; k < 3; k++) Assert.Equal(batch.Row(i)[k], output[k], 1e-5f);
            // The inputs are pixel / 255, as training on IDX images made them.
            var inputs = pixels.AsSpan(12 * i, 12).ToArray().Select(p => p / 255f).ToArray();
            Assert.Equal(network.FeedForward(inputs).ToArray(), output.ToArray(), (a, b) => Math.Abs(a - b) < 1e-5f);
        }
        Assert.Equal("dog", predictor.Classes[1]);
        Assert.Equal(0, TestFiles.SteadyAllocation(() => { for (int i = 0; i < 10_000; i++) predictor.Predict(pixels.AsSpan(12 * (i % 50), 12), output); }));

        Assert.Contains("the images are 4×3 pixels; the model takes 3×4", Assert.Throws<NablaException>(() => predictor.Predict(new IdxImages(new byte[12], 1, 4, 3))).Message);
        Assert.Contains("not 11", Assert.Throws<NablaException>(() => predictor.Predict(new byte[11], output)).Message);
        Assert.Contains("trained on a table", Assert.Throws<NablaException>(() => MixedPredictor(out _).Predict(new byte[4], output)).Message);

        // Saved with the model, read back; a model file without it is taken as square images numbered 0, 1, ….
        string path = Path.Combine(Path.GetTempPath(), $"nabla-images-{Environment.ProcessId}.safetensors");
        try
        {
            ModelFile.Save(network, Cost.LogLikelihood, path, new Dictionary<string, string> { [ImageInputs.MetadataKey] = predictor.Images!.ToJson() });
            var loaded = Predictor.Load(path);
            Assert.Equal((3, 4), (loaded.Images!.Rows, loaded.Images.Columns));
            Assert.Equal(["cat", "dog", "emu"], loaded.Classes);
            var square = new Network<float>([16, 5, 2], seed: 1);
            ModelFile.Save(square, Cost.Quadratic, path);
            Assert.Equal((4, 4), (Predictor.Load(path).Images!.Rows, Predictor.Load(path).Images!.Columns));
            Assert.Equal(["0", "1"], Predictor.Load(path).Classes);
            ModelFile.Save(network, Cost.LogLikelihood, path, new Dictionary<string, string> { [ImageInputs.MetadataKey] = """{"version":1,"rows":3,"columns":4,"classes":["a","a","b"]}""" });
            Assert.Contains("metadata 'nabla.images': the class names must be distinct", Assert.Throws<InvalidFileException>(() => Predictor.Load(path)).Message);
        }
        finally { File.Delete(path); }
    }
}
