using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Nabla.Tests.Cli;

/// <summary>
/// The README states what the main job gives on the bundled sample (what a user without the Debian package sees first);
/// the figure must be there and must be what the command prints (the real `nabla`, run as a process).
/// </summary>
public class ReadmeFigureTests
{
    [Fact]
    public void The_README_gives_the_main_jobs_figures_on_the_bundled_sample_as_measured()
    {
        string readme = File.ReadAllText(Path.Combine(TestFiles.SampleDirectory, "..", "..", "README.md"));
        var stated = Regex.Match(readme,
            @"On the sample alone the main job\s+reaches \*\*(?<best>\d+\.\d+) %\*\* at best \(epoch (?<bestEpoch>\d+); (?<last>\d+\.\d+) % at epoch (?<lastEpoch>\d+), the last;\s+(?<epochs>\d+) epochs on (?<training>[\d,]+) training images");
        Assert.True(stated.Success, "the README does not state the main job's figures on the bundled sample");
        // The figures with 512-bit vectors, which the kernels use on a core with AVX-512 (the sums in another order): stated beside them.
        var wide = Regex.Match(readme,
            @"with 256-bit vectors, and \*\*(?<best>\d+\.\d+) %\*\* at best\s+\(epoch (?<bestEpoch>\d+); (?<last>\d+\.\d+) % at epoch (?<lastEpoch>\d+), the last\) on a core with AVX-512");
        Assert.True(wide.Success, "the README does not state the main job's figures on the bundled sample with 512-bit vectors");
        var figures = Nabla.Kernels.Gemm.VectorBits<float>() == 512 ? wide : stated;

        var result = CliProcess.Run("train", "--data", TestFiles.SampleDirectory, "--json"); // the main job, on the sample
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var run = json.RootElement;
        var epochs = run.GetProperty("epochs").EnumerateArray().ToList();
        double Percent(string group) => double.Parse(figures.Groups[group].Value, CultureInfo.InvariantCulture);

        Assert.Equal(Percent("best"), Math.Round(100 * run.GetProperty("best_accuracy").GetDouble(), 2));
        Assert.Equal(int.Parse(figures.Groups["bestEpoch"].Value), run.GetProperty("best_epoch").GetInt32());
        Assert.Equal(Percent("last"), Math.Round(100 * epochs[^1].GetProperty("evaluation_accuracy").GetDouble(), 2));
        Assert.Equal(int.Parse(figures.Groups["lastEpoch"].Value), epochs[^1].GetProperty("epoch").GetInt32());
        Assert.Equal(int.Parse(stated.Groups["epochs"].Value), epochs.Count);
        Assert.Equal(int.Parse(stated.Groups["training"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture), run.GetProperty("data").GetProperty("training").GetInt32());
    }
}
