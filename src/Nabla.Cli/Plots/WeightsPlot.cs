using ScottPlot;

namespace Nabla.Cli.Plots;

/// <summary>The first layer's weights, one image per hidden neuron: w^1_j reshaped to the input's height × width.</summary>
internal static class WeightsPlot
{
    public static void Save(string path, Network<float> network, int maxNeurons)
    {
        int inputs = network.Sizes[0], side = (int)Math.Round(Math.Sqrt(inputs));
        if (side * side != inputs)
            throw new CliException($"the input layer has {inputs} neurons, not a square image (such as 784 = 28×28), so its weights cannot be drawn as images", ExitCodes.InvalidArguments);
        int neurons = Math.Min(network.Sizes[1], maxNeurons);
        int columns = (int)Math.Ceiling(Math.Sqrt(neurons * 1.6)), rows = (neurons + columns - 1) / columns;
        int gap = 2, cell = side + gap;
        var grid = new double[rows * cell - gap, columns * cell - gap];
        for (int r = 0; r < grid.GetLength(0); r++) for (int c = 0; c < grid.GetLength(1); c++) grid[r, c] = double.NaN;
        var w = network.Weights[1];
        double limit = 0;
        for (int j = 0; j < neurons; j++) foreach (float v in w.Row(j)) limit = Math.Max(limit, Math.Abs(v));
        for (int j = 0; j < neurons; j++)
            for (int p = 0; p < inputs; p++)
                grid[j / columns * cell + p / side, j % columns * cell + p % side] = w[j, p];

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Balance();
        heatmap.ManualRange = new ScottPlot.Range(-limit, limit); // symmetric: white is 0, red positive, blue negative
        heatmap.NaNCellColor = Colors.White;
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "weight (red: pixel excites the neuron, blue: inhibits)";
        bar.LabelStyle.FontSize = 14;
        plot.HideAxesAndGrid();
        plot.Title($"First-layer weights: one {side}×{side} image of w^1_jk (k = pixel) per hidden neuron j = 0…{neurons - 1}, row by row", size: 16);
        plot.Axes.SquareUnits();
        PlotFile.Save(plot, path, 1100, Math.Max(400, 970 * rows / columns + 90));
    }
}
