using System.CommandLine;
using System.Xml.Linq;
using Nabla.Cli;
using Nabla.Cli.Commands;
using Nabla.Cli.Plots;
using Nabla.Diagnostics;

namespace Nabla.Tests.Diagnostics;

public class PlotTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A non-empty PNG (by its 8-byte signature) or an SVG (XML whose root is &lt;svg&gt;), by the file's extension.</summary>
    private static void AssertValidPlot(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} has only {bytes.Length} bytes");
        if (path.EndsWith(".png"))
            Assert.Equal(PngSignature, bytes[..8]);
        else
            Assert.Equal("svg", XDocument.Parse(File.ReadAllText(path)).Root!.Name.LocalName);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp")); // the temporary file was renamed, not left behind
    }

    private static Dataset TinyData(int count, int side = 4, int classes = 2, int seed = 1)
    {
        var random = new Random(seed);
        return new Dataset(Enumerable.Range(0, count * side * side).Select(_ => (float)random.NextDouble()).ToArray(),
            Enumerable.Range(0, count).Select(i => i % classes).ToArray(), side * side, classes);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("svg")]
    public void Every_plot_is_written_as_a_valid_file_of_the_format_its_extension_names(string format)
    {
        using var dir = new TempDirectory();

        TrainingPlot.Save(dir.File($"training.{format}"), [new(0, 0.5, 1.2), new(1, 0.7, 0.9), new(2, 0.75, 0.8)], "quadratic", "test", "a test run");
        AssertValidPlot(dir.File($"training.{format}"));

        var net = new Network<double>([16, 3, 2], seed: 1);
        var demon = Demon.Experiment(net, Enumerable.Repeat(0.5, 16).ToArray(), [1, 0], Cost.Quadratic, 1, 0);
        DemonPlot.Save(dir.File($"demon.{format}"), demon);
        AssertValidPlot(dir.File($"demon.{format}"));

        var data = TinyData(40);
        var sgd = new Sgd<float>(new Network<float>([16, 3, 2], seed: 2), Cost.Quadratic, 1f, 5, seed: 2);
        var snapshots = LearningSlowdown.Track(sgd, data, epochs: 2, sample: Saturation.Sample(data, 20, 1), snapshotsPerEpoch: 4);
        SlowdownPlot.Save(dir.File($"slowdown.{format}"), [new("quadratic", snapshots)], "tiny");
        AssertValidPlot(dir.File($"slowdown.{format}"));

        WeightsPlot.Save(dir.File($"weights.{format}"), new Network<float>([16, 5, 2], seed: 3), maxNeurons: 100);
        AssertValidPlot(dir.File($"weights.{format}"));
    }

    [Fact]
    public void Slowdown_tracking_takes_a_snapshot_before_training_and_the_asked_number_per_epoch()
    {
        var data = TinyData(40);
        var sgd = new Sgd<float>(new Network<float>([16, 3, 2], seed: 2), Cost.Quadratic, 1f, 5, seed: 2);
        var snapshots = LearningSlowdown.Track(sgd, data, epochs: 2, sample: Saturation.Sample(data, 20, 1), snapshotsPerEpoch: 4);
        Assert.Equal(1 + 2 * 4, snapshots.Count);
        Assert.Equal([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2], snapshots.Select(s => s.Epoch));
    }

    [Fact]
    public void A_plot_file_that_is_neither_png_nor_svg_is_refused_before_any_work()
    {
        var e = Assert.Throws<CliException>(() => PlotFile.CheckPath("curves.jpg", "--plot"));
        Assert.Contains(".png or .svg", e.Message);
        Assert.Equal(ExitCodes.InvalidArguments, e.ExitCode);
        Assert.Throws<CliException>(() => PlotFile.CheckPath("/no/such/folder/plot.png", "--plot"));
    }

    private static int Nabla(params string[] args) =>
        CommandRunner.Invoke(new RootCommand { TrainCommand.Create(), GradCheckCommand.Create(), ExplainCommand.Create() }, args);

    [Fact]
    public void The_commands_write_their_plots_for_a_short_run_on_the_bundled_sample()
    {
        using var dir = new TempDirectory();
        string model = dir.File("model.safetensors");
        Assert.Equal(0, Nabla("train", "--data", TestFiles.SampleDirectory, "--epochs", "2", "--train-size", "300", "--eta", "0.5",
            "--diagnostics", "--plot", dir.File("training.png"), "--out", model));
        AssertValidPlot(dir.File("training.png"));
        Assert.Equal(0, Nabla("explain", "weights", "--model", model, "--plot", dir.File("weights.svg")));
        AssertValidPlot(dir.File("weights.svg"));
        Assert.Equal(0, Nabla("explain", "demon", "--model", model, "--data", TestFiles.SampleDirectory, "--layer", "2", "--neuron", "3", "--plot", dir.File("demon.png")));
        AssertValidPlot(dir.File("demon.png"));
        Assert.Equal(0, Nabla("explain", "slowdown", "--data", TestFiles.SampleDirectory, "--epochs", "1", "--train-size", "300", "--plot", dir.File("slowdown.png")));
        AssertValidPlot(dir.File("slowdown.png"));
        Assert.Equal(0, Nabla("explain", "saturation", "--model", model, "--data", TestFiles.SampleDirectory));
    }

    [Fact]
    public void Gradcheck_and_explain_paths_succeed_on_a_small_network_and_refuse_bad_arguments()
    {
        Assert.Equal(0, Nabla("gradcheck", "--layers", "5,4,3", "--activation", "tanh", "--cost", "quadratic", "--synthetic"));
        Assert.Equal(0, Nabla("gradcheck", "--layers", "5,4,3", "--synthetic", "--timing"));
        Assert.Equal(0, Nabla("explain", "paths", "--layers", "4,5,3,2", "--layer", "1", "--j", "2", "--k", "3"));
        Assert.Equal(ExitCodes.InvalidArguments, Nabla("explain", "paths", "--layers", "2,50,50,50,2", "--max-paths", "100"));
        Assert.Equal(ExitCodes.InvalidArguments, Nabla("explain", "demon", "--layers", "4,5,3", "--layer", "2", "--neuron", "7"));
        Assert.Equal(ExitCodes.InvalidArguments, Nabla("explain", "demon", "--layers", "4,5,3", "--plot", "demon.gif"));
    }
    [Theory]
    [InlineData(0, 30)]
    [InlineData(0, 1)]
    [InlineData(12, 7)] // a resumed run's plot starts wherever the run started
    public void The_training_plots_epoch_axis_has_ticks_only_on_epochs_that_were_trained(int first, int count)
    {
        var points = Enumerable.Range(first, count).Select(e => new EpochPoint(e, 0.5 + 0.01 * e, 1.0 / (e + 1))).ToList();
        var plot = TrainingPlot.Build(points, "quadratic", "test", "a test run", bestEpoch: first + count / 2);
        plot.GetImageBytes(PlotFile.Width, PlotFile.Height, ScottPlot.ImageFormat.Png); // ticks are made when drawn

        var ticks = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor && plot.Axes.Bottom.Range.Contains(t.Position)).ToList();
        Assert.NotEmpty(ticks);
        Assert.All(ticks, t => Assert.InRange(t.Position, first, first + count - 1)); // not −1, not one past the last
        Assert.All(ticks, t => Assert.Equal(Math.Round(t.Position), t.Position));
        Assert.Contains(plot.GetPlottables().OfType<ScottPlot.Plottables.Marker>(), m => m.LegendText == $"best: epoch {first + count / 2}, {points[count / 2].Accuracy:P2}");
    }

    [Fact]
    public void The_weights_plot_numbers_each_tile_just_above_it_and_names_its_colours_in_words()
    {
        var network = new Network<float>([784, 12, 10], seed: 3);
        var (plot, _, _) = WeightsPlot.Build(network, maxNeurons: 100);

        var numbers = plot.GetPlottables().OfType<ScottPlot.Plottables.Text>().ToList();
        Assert.Equal(Enumerable.Range(0, 12).Select(j => j.ToString()), numbers.Select(t => t.LabelText));
        var heatmap = plot.GetPlottables().OfType<ScottPlot.Plottables.Heatmap>().Single();
        double top = heatmap.Extent!.Value.Top;
        foreach (var number in numbers)
        {
            // The number's baseline is the top edge of its tile: weights just below it, the empty strip just above.
            int row = (int)Math.Round(top - number.Location.Y), column = (int)number.Location.X;
            int j = int.Parse(number.LabelText);
            Assert.Equal(network.Weights[1][j, 0], heatmap.Intensities[row, column]);
            Assert.True(double.IsNaN(heatmap.Intensities[row - 1, column]));
            Assert.Equal(ScottPlot.Alignment.LowerLeft, number.LabelAlignment);
        }
        var bar = Assert.Single(plot.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>());
        Assert.Equal(ScottPlot.Edge.Bottom, bar.Edge); // below the tiles: beside them its title ran into the tick labels
        Assert.Contains("red, the pixel excites the neuron; blue, it inhibits it", bar.Label);
        Assert.DoesNotContain("^", plot.Axes.Title.Label.Text + bar.Label); // words, not w^1_jk
    }
}
