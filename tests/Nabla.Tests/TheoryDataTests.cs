using System.Collections;
using System.Reflection;

namespace Nabla.Tests;

/// <summary>
/// Every theory of this assembly gets each row of data once: xUnit skips a repeated row (same arguments, same
/// ID) with the warning "Skipping test case with duplicate ID", so a repeated row is a case that silently never ran.
/// </summary>
public class TheoryDataTests
{
    [Fact]
    public void No_theory_has_two_rows_with_the_same_arguments()
    {
        var duplicates = new List<string>();
        int theories = 0;
        foreach (var method in typeof(TheoryDataTests).Assembly.GetTypes().SelectMany(t => t.GetMethods()))
        {
            if (method.GetCustomAttribute<TheoryAttribute>() is null) continue;
            theories++;
            var seen = new HashSet<string>();
            foreach (var row in Rows(method))
            {
                string key = string.Join(", ", row.Select(Describe));
                if (!seen.Add(key)) duplicates.Add($"{method.DeclaringType!.Name}.{method.Name}({key})");
            }
        }
        Assert.True(theories > 10, $"found only {theories} theories: the scan is broken");
        Assert.True(duplicates.Count == 0, "repeated theory rows: " + string.Join("; ", duplicates));
    }

    /// <summary>The rows of [InlineData] and of static [MemberData] members.</summary>
    private static IEnumerable<object?[]> Rows(MethodInfo method)
    {
        foreach (var inline in method.GetCustomAttributes<InlineDataAttribute>())
            foreach (var row in inline.GetData(method)) yield return row;
        foreach (var member in method.GetCustomAttributes<MemberDataAttribute>())
            foreach (var row in member.GetData(method)) yield return row;
    }

    /// <summary>A value as xUnit tells rows apart: by type and content (arrays element by element).</summary>
    private static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        IEnumerable items => $"{value.GetType().Name}[{string.Join(", ", items.Cast<object?>().Select(Describe))}]",
        IFormattable f => $"{value.GetType().Name}:{f.ToString(null, System.Globalization.CultureInfo.InvariantCulture)}",
        _ => $"{value.GetType().Name}:{value}",
    };
}
