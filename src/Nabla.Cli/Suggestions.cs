using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Nabla.Cli;

/// <summary>
/// "Did you mean …?" for mistyped commands, options and option values: the nearest names by edit distance
/// (a swap of two neighbouring letters counts as one edit, so `trian` is one edit from `train`), a prefix, or a
/// word other tools use for the same thing (`--lr` for `--eta`).
/// </summary>
internal static class Suggestions
{
    /// <summary>Names other tools give to what Nabla calls by another (without leading dashes).</summary>
    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["lr"] = "eta", ["learning-rate"] = "eta", ["learning_rate"] = "eta", ["learningrate"] = "eta",
        ["batch-size"] = "batch", ["batch_size"] = "batch", ["batchsize"] = "batch", ["mini-batch"] = "batch", ["minibatch"] = "batch",
        ["output"] = "out", ["save-to"] = "out", ["hidden"] = "layers",
        ["fit"] = "train", ["test"] = "evaluate", ["check"] = "gradcheck", ["benchmark"] = "bench",
        ["logistic"] = "sigmoid", ["mse"] = "quadratic", ["nll"] = "log-likelihood", ["he"] = "scaled-normal", ["xavier"] = "scaled-normal",
    };

    /// <summary>The candidates nearest to <paramref name="typed"/> (several when tied), or none when none is near.</summary>
    public static IReadOnlyList<string> Nearest(string typed, IEnumerable<string> candidates)
    {
        string bare = typed.TrimStart('-').ToLowerInvariant();
        // Each name is matched by itself and by the synonyms that stand for it.
        var keys = new List<(string Key, string Name)>();
        foreach (var name in candidates.Distinct())
        {
            string key = name.TrimStart('-').ToLowerInvariant();
            keys.Add((key, name));
            keys.AddRange(Synonyms.Where(s => s.Value == key).Select(s => (s.Key.ToLowerInvariant(), name)));
        }
        int limit = Math.Max(1, bare.Length / 3);
        var scored = keys
            .Select(k => (k.Name, Distance: bare.Length >= 3 && k.Key.StartsWith(bare, StringComparison.Ordinal) ? Math.Min(1, Distance(bare, k.Key)) : Distance(bare, k.Key)))
            .Where(s => s.Distance <= limit)
            .ToList();
        if (scored.Count == 0) return [];
        int best = scored.Min(s => s.Distance);
        return scored.Where(s => s.Distance == best).Select(s => s.Name).Distinct().ToList();
    }

    /// <summary>"; did you mean 'train'?" (or "…'a' or 'b'?"), or "" when nothing is near.</summary>
    public static string DidYouMean(string typed, IEnumerable<string> candidates)
    {
        var nearest = Nearest(typed, candidates);
        return nearest.Count == 0 ? "" : $"; did you mean {string.Join(" or ", nearest.Select(n => $"'{n}'"))}?";
    }

    /// <summary>
    /// Optimal string alignment distance: insertions, deletions, substitutions, and swaps of two neighbouring
    /// characters, each one edit.
    /// </summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    /// <summary>
    /// One line for a command line that did not parse, in the CLI's words: an unknown command or option with the
    /// nearest one, a value that is not a number, a missing command with the list of commands. Null leaves the
    /// parser's own message.
    /// </summary>
    public static string? Explain(ParseResult parse)
    {
        var result = parse.CommandResult;
        var command = result.Command;
        string where = CommandPath(result);
        string help = $"(see '{where} --help')";

        foreach (var error in parse.Errors)
            if (NotAValue(error) is string message) return $"{message} {help}";

        if (parse.UnmatchedTokens.Count > 0)
        {
            string token = parse.UnmatchedTokens.FirstOrDefault(t => t.StartsWith('-')) ?? parse.UnmatchedTokens[0];
            var options = OptionNames(result);
            if (token.StartsWith('-'))
                return $"'{where}' has no option '{token}'{DidYouMean(token, options)} {help}";
            if (command.Subcommands.Count > 0)
            {
                string known = string.Join(", ", command.Subcommands.Select(c => c.Name));
                string near = DidYouMean(token, command.Subcommands.Select(c => c.Name));
                return $"'{where}' has no command '{token}'{(near.Length > 0 ? near : $"; its commands are {known}")} {help}";
            }
            // A word where no argument goes: perhaps an option without its dashes ("epochs 5").
            string asOption = DidYouMean("--" + token, options);
            return $"'{where}' takes no argument '{token}'{(asOption.Length > 0 ? asOption : "; options start with --")} {help}";
        }

        if (command.Subcommands.Count > 0 && parse.Errors.Count > 0 && command.Action is null)
            return $"'{where}' needs a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))} {help}";
        return null;
    }

    /// <summary>"nabla explain demon" for the command that was parsed.</summary>
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Parent is null ? "nabla" : c.Command.Name);
        names.Reverse();
        return string.Join(" ", names);
    }

    /// <summary>The options the command takes: its own, and the recursive ones of the commands above it.</summary>
    private static List<string> OptionNames(CommandResult result)
    {
        var names = new List<string>();
        bool own = true;
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is not CommandResult c) continue;
            foreach (var option in c.Command.Options)
                if ((own || option.Recursive) && !option.Hidden)
                    names.AddRange(option.Aliases.Prepend(option.Name).Where(n => n.StartsWith("--")));
            own = false;
        }
        return names;
    }

    /// <summary>"--eta: 'abc' is not a number" for a value of a numeric or true/false option that does not read as one.</summary>
    private static string? NotAValue(ParseError error)
    {
        var option = error.SymbolResult switch
        {
            OptionResult o => o,
            ArgumentResult { Parent: OptionResult o } => o,
            _ => null,
        };
        if (option is null) return null;
        var type = Nullable.GetUnderlyingType(option.Option.ValueType) ?? option.Option.ValueType;
        string? expected = type == typeof(int) || type == typeof(long) ? "a whole number"
            : type == typeof(double) || type == typeof(float) ? "a number"
            : type == typeof(bool) ? "true or false" : null;
        if (expected is null) return null;
        foreach (var token in option.Tokens)
        {
            bool reads = type == typeof(bool) ? bool.TryParse(token.Value, out _)
                : type == typeof(int) ? int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
                : type == typeof(long) ? long.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
                : double.TryParse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
            if (!reads) return $"{option.Option.Name}: '{token.Value}' is not {expected}";
        }
        return option.Tokens.Count == 0 && type != typeof(bool) ? $"{option.Option.Name}: needs a value ({expected})" : null;
    }
}
