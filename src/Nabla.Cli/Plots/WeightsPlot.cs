using ScottPlot;

namespace Nabla.Cli.Plots;

/// <summary>The first layer's weights, one image per hidden neuron: w^1_j reshaped to the input's height × width, numbered by j.</summary>
internal static class WeightsPlot
{
    public static void Save(string path, Network<float> network, int maxNeurons)
    {
        var (plot, width, height) = Build(network, maxNeurons);
        PlotFile.Save(plot, path, width, height);
    }

    /// <summary>The plot and the size to draw it at.</summary>
    public static (Plot Plot, int Width, int Height) Build(Network<float> network, int maxNeurons)
    {
        int inputs = network.Sizes[0], side = (int)Math.Round(Math.Sqrt(inputs));
        if (side * side != inputs)
            throw new CliException($"the input layer has {inputs} neurons, not a square image (such as 784 = 28×28), so its weights cannot be drawn as images", ExitCodes.InvalidArguments);
        int neurons = Math.Min(network.Sizes[1], maxNeurons);
        int columns = (int)Math.Ceiling(Math.Sqrt(neurons * 1.6)), rows = (neurons + columns - 1) / columns;
        // Each tile has a strip above it for its neuron's number; the strip is a fixed share of the tile.
        int gap = Math.Max(2, side / 14), label = Math.Max(6, side / 4);
        int cellWidth = side + gap, cellHeight = side + label;
        var grid = new double[rows * cellHeight, columns * cellWidth - gap];
        for (int r = 0; r < grid.GetLength(0); r++) for (int c = 0; c < grid.GetLength(1); c++) grid[r, c] = double.NaN;
        var w = network.Weights[1];
        double limit = 0;
        for (int j = 0; j < neurons; j++) foreach (float v in w.Row(j)) limit = Math.Max(limit, Math.Abs(v));
        for (int j = 0; j < neurons; j++)
            for (int p = 0; p < inputs; p++)
                grid[j / columns * cellHeight + label + p / side, j % columns * cellWidth + p % side] = w[j, p];

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Balance();
        heatmap.ManualRange = new ScottPlot.Range(-limit, limit); // symmetric: white is 0, red positive, blue negative
        heatmap.NaNCellColor = Colors.White;
        heatmap.Extent = new CoordinateRect(0, grid.GetLength(1), 0, grid.GetLength(0)); // one unit per cell, row 0 at the top
        int width = 1100, height = Math.Max(460, (int)(1020.0 * grid.GetLength(0) / grid.GetLength(1)) + 150);
        float fontSize = Math.Clamp(label * 1020f / grid.GetLength(1) * 0.8f, 8, 14);
        for (int j = 0; j < neurons; j++)
        {
            // Just above its own tile (the strip's bottom), so that it is not read as the number of the tile above.
            var number = plot.Add.Text($"{j}", j % columns * cellWidth, grid.GetLength(0) - j / columns * cellHeight - label);
            number.LabelFontSize = fontSize;
            number.LabelFontColor = Colors.Black.WithAlpha(0.8);
            number.LabelAlignment = Alignment.LowerLeft;
        }
        // Below the tiles, where its title has the width it needs (beside them it ran into the tick labels).
        var bar = plot.Add.ColorBar(heatmap, Edge.Bottom);
        bar.Width = 18;
        bar.Label = "weight from a pixel into the neuron: red, the pixel excites the neuron; blue, it inhibits it; white, 0";
        bar.LabelStyle.FontSize = 14;
        bar.Axis.TickLabelStyle.FontSize = 12;
        plot.HideAxesAndGrid();
        plot.Title($"First-layer weights: one {side}×{side} image per hidden neuron (numbered), the weights from each pixel into it", size: 16);
        plot.Axes.SquareUnits();
        // Room at the sides for the colour bar's end labels, below for the bar and its title, above for the title.
        plot.Layout.Fixed(new PixelPadding(40, 40, 90, 50));
        return (plot, width, height);
    }
}
