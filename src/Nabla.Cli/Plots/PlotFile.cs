using System.Text;
using ScottPlot;

namespace Nabla.Cli.Plots;

/// <summary>Writes a plot as PNG or SVG, chosen by the file's extension, atomically (temporary file, flush, rename).</summary>
internal static class PlotFile
{
    public const int Width = 1000, Height = 600;

    /// <summary>Fails before any work, not after, when <paramref name="path"/> cannot be a plot file.</summary>
    public static void CheckPath(string path, string option)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is not (".png" or ".svg"))
            throw new CliException($"{option}: '{path}' must end in .png or .svg (the format is taken from the extension)", ExitCodes.InvalidArguments);
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory)) throw new CliException($"{option}: the folder {directory} does not exist", ExitCodes.InvalidArguments);
        if (Directory.Exists(path)) throw new CliException($"{option}: {path} is a folder; give a file name such as plot.png", ExitCodes.InvalidArguments);
        CheckRenderer(option);
    }

    /// <summary>
    /// The plots are drawn by SkiaSharp's native library, which each platform's tool package carries; the managed-only
    /// fallback package, for platforms SkiaSharp has no build for, does not. Said before the work, in one line.
    /// </summary>
    private static void CheckRenderer(string option)
    {
        try { new SkiaSharp.SKBitmap(1, 1).Dispose(); }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new CliException($"{option}: {NativeLibraryMissing("plots are drawn", e)}", ExitCodes.OutputFailed);
        }
    }

    /// <summary>"plots are drawn by SkiaSharp's native library, which cannot be loaded on linux-x64 (…); …": the one line that says why.</summary>
    internal static string NativeLibraryMissing(string what, Exception e)
    {
        // The loader's message lists every path it tried, on many lines: its first sentence is the one that matters.
        string reason = e.GetBaseException().Message.Split(". ", 2)[0].Split('\n', 2)[0].TrimEnd('.');
        return $"{what} by SkiaSharp's native library, which cannot be loaded on {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier} " +
               $"({reason}); Nabla.Cli's package for this platform carries it, its managed-only fallback does not";
    }

    public static void Save(Plot plot, string path, int width = Width, int height = Height)
    {
        byte[] bytes = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".svg" => Encoding.UTF8.GetBytes(plot.GetSvgXml(width, height)),
            _ => plot.GetImageBytes(width, height, ImageFormat.Png),
        };
        WriteAtomically(path, bytes);
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        try { AtomicFile.Write(path, stream => stream.Write(bytes)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write the plot {path}: {e.Message}", ExitCodes.OutputFailed);
        }
    }

    /// <summary>The look every plot shares: large enough text to read at a glance.</summary>
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title, size: 20);
        plot.XLabel(xLabel, size: 16);
        plot.YLabel(yLabel, size: 16);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 14;
        plot.Axes.Left.TickLabelStyle.FontSize = 14;
        return plot;
    }

    /// <summary>Shows the left axis on a log scale: the data must already be log10 of the values.</summary>
    public static void LogScaleLeft(Plot plot)
    {
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => $"1e{y:0}",
        };
    }

    public static Color Color(int i) => new ScottPlot.Palettes.Category10().GetColor(i);
}
