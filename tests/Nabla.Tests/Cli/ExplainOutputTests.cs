using System.Text.Json;
using System.Text.RegularExpressions;

namespace Nabla.Tests.Cli;

/// <summary>Numbers that read right in `gradcheck` and `explain` (the real `nabla`, run as a process).</summary>
public class ExplainOutputTests
{
    [Fact]
    public void Gradcheck_names_a_weight_with_its_indices_braced_and_in_words()
    {
        var result = CliProcess.Run("gradcheck", "--data", TestFiles.SampleDirectory, "--sample", "2000");

        Assert.Equal(0, result.ExitCode);
        var match = Regex.Match(result.Stdout, @"Largest disagreement: (\S+) \(([^)]*)\)");
        Assert.True(match.Success, result.Stdout);
        // w^1_{21,711}, never w^1_21,711 (which reads as w^1_2 and 1,711) nor a thousands separator in an index.
        var name = Regex.Match(match.Groups[1].Value, @"^([wb])\^(\d+)_(?:\{(\d+)(?:,(\d+))?\}|(\d))$");
        Assert.True(name.Success, match.Groups[1].Value);
        if (name.Groups[1].Value == "w")
            Assert.Equal($"the weight into neuron {name.Groups[3].Value} of layer {name.Groups[2].Value} from " +
                         (name.Groups[2].Value == "1" ? $"input {name.Groups[4].Value}" : $"neuron {name.Groups[4].Value} of layer {int.Parse(name.Groups[2].Value) - 1}"),
                match.Groups[2].Value);
    }

    [Fact]
    public void Explain_paths_braces_the_weights_two_indices()
    {
        var result = CliProcess.Run("explain", "paths", "--layers", "4,12,3", "--j", "11", "--k", "2", "--synthetic");
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("w^1_{11,2} reaches the cost through neuron 11 of layer 1", result.Stdout.Split('\n')[2]);
    }

    [Fact]
    public void Explain_demon_shows_the_ratio_of_errors_only_where_it_is_near_4_and_says_why_elsewhere()
    {
        var result = CliProcess.Run("explain", "demon", "--data", TestFiles.SampleDirectory);
        Assert.Equal(0, result.ExitCode);

        var rows = result.Stdout.Split('\n').Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(cells => cells.Length >= 4 && double.TryParse(cells[0], out _)).ToList();
        Assert.Equal(18, rows.Count);
        var ratios = rows.Where(r => r.Length == 5 && r[4] != "—").Select(r => double.Parse(r[4])).ToList();
        Assert.True(ratios.Count >= 4, result.Stdout);
        Assert.All(ratios, ratio => Assert.InRange(ratio, 3.6, 4.4));
        Assert.Contains(rows, r => r.Length == 5 && r[4] == "—"); // this example's large nudges are beyond the Δz² regime
        Assert.Contains("In the rows marked —, Δz is large enough for the Δz³ and higher terms to count", result.Stdout);

        using var json = JsonDocument.Parse(CliProcess.Run("explain", "demon", "--data", TestFiles.SampleDirectory, "--json").Stdout);
        var points = json.RootElement.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(JsonValueKind.Null, points.Single(p => p.GetProperty("dz").GetDouble() == 0.5).GetProperty("error_ratio").ValueKind);
        Assert.InRange(points.Single(p => p.GetProperty("dz").GetDouble() == 1.0 / 256).GetProperty("error_ratio").GetDouble(), 3.6, 4.4);
    }
}
