using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Nabla.Cli.Commands;

/// <summary>
/// `train --resume DIR`: the run's own command line, read back from the checkpoint (it holds every option of the
/// run, --out, --data and --plot included), with the options given anew on this command line over it.
/// </summary>
internal sealed class ResumedRun
{
    /// <summary>Options whose value is a path: saved as full paths, so that the run resumes from any folder.</summary>
    public static readonly HashSet<string> PathOptions = ["--out", "--data", "--checkpoint", "--plot", "--resume"];

    /// <summary>
    /// Options the checkpoint fixes: its weights, generator and optimiser state were made with them, so a new value
    /// could not take effect (or would not fit).
    /// </summary>
    private static readonly string[] Fixed = ["--layers", "--precision", "--seed", "--init", "--optimizer", "--schedule"];

    /// <summary>The checkpoint's options with the new ones over them, parsed as one command line.</summary>
    public required ParseResult Parse { get; init; }
    public required Checkpoint.State State { get; init; }
    /// <summary>"--epochs 40 (the checkpoint's run: 30)" for each option given anew with another value.</summary>
    public required IReadOnlyList<string> GivenAnew { get; init; }
    /// <summary>True when --eta was given anew: η from here on, in place of the schedule's saved η.</summary>
    public bool EtaGivenAnew { get; init; }

    /// <summary>"Resumed from DIR in epoch 3, at example 1,200 of 2,000; given anew: …": where the run goes on, and what changed.</summary>
    public string Line(string directory, int epoch, int position, int count, string unit) =>
        (position > 0 ? $"Resumed from {directory} in epoch {epoch}, at {unit} {position:N0} of {count:N0}" : $"Resumed from {directory} after epoch {epoch - 1}") +
        (GivenAnew.Count > 0 ? $"; given anew: {string.Join(", ", GivenAnew)}" : "");

    public static ResumedRun Read(Command command, ParseResult parse, string directory)
    {
        Checkpoint.State state;
        try { state = Checkpoint.ReadState(directory); }
        catch (InvalidFileException) { throw; }
        catch (NablaException e) { throw new CliException($"--resume: {e.Message}", ExitCodes.InvalidInput); }

        var saved = command.Parse(Tokens(state.Settings));
        if (saved.Errors.Count > 0)
            throw new CliException($"--resume: the settings in {Path.Combine(directory, Checkpoint.StateFileName)} do not parse: {saved.Errors[0].Message}", ExitCodes.InvalidInput);

        var merged = new Dictionary<string, string>(state.Settings);
        var anew = new List<string>();
        bool eta = false;
        foreach (var option in command.Options)
        {
            if (option.Name == "--resume" || parse.GetResult(option) is not { Implicit: false } given) continue;
            string before = Effective(saved, option), now = Effective(parse, option);
            merged[option.Name] = Value(option, given);
            if (before == now) continue;
            if (Fixed.Contains(option.Name))
                throw new CliException($"--resume: {option.Name} cannot change when a run resumes (the checkpoint's run has {before}, this command line {now}): " +
                                       "the checkpoint's weights, generator and optimiser were made with it; start a new run instead", ExitCodes.InvalidArguments);
            anew.Add($"{option.Name} {now} (the checkpoint's run: {before})");
            eta |= option.Name == "--eta";
        }
        var merge = command.Parse(Tokens(merged));
        if (merge.Errors.Count > 0) throw new CliException($"--resume: {merge.Errors[0].Message}", ExitCodes.InvalidArguments);
        return new ResumedRun { Parse = merge, State = state, GivenAnew = anew, EtaGivenAnew = eta };
    }

    /// <summary>The options given on <paramref name="parse"/>'s command line (not defaults), name → value ("" for a flag), paths made full.</summary>
    public static Dictionary<string, string> ExplicitArguments(ParseResult parse, Command command)
    {
        var arguments = new Dictionary<string, string>();
        foreach (var option in command.Options)
            if (option.Name != "--resume" && parse.GetResult(option) is { Implicit: false } result)
                arguments[option.Name] = Value(option, result);
        return arguments;
    }

    /// <summary>An option's value as text: its tokens, a path made full.</summary>
    private static string Value(Option option, OptionResult result)
    {
        string value = string.Join(",", result.Tokens.Select(t => t.Value));
        return PathOptions.Contains(option.Name) && value.Length > 0 ? Path.GetFullPath(value) : value;
    }

    /// <summary>What the option comes to in <paramref name="parse"/>, default included, as text to compare and show.</summary>
    private static string Effective(ParseResult parse, Option option)
    {
        object? value = parse.GetResult(option) is OptionResult r ? r.GetValueOrDefault<object?>() : null;
        return value switch
        {
            null => "none",
            bool b => b ? "true" : "false",
            string s when PathOptions.Contains(option.Name) => Path.GetFullPath(s),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "none",
        };
    }

    /// <summary>name → value back into a command line.</summary>
    private static List<string> Tokens(IReadOnlyDictionary<string, string> arguments) =>
        arguments.SelectMany(pair => pair.Value.Length == 0 ? [pair.Key] : new[] { pair.Key, pair.Value }).ToList();

    /// <summary>A path as the shell takes it back: in single quotes when it holds anything the shell would read.</summary>
    public static string Quoted(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '+' or ',' or ':' or '@' or '%') ? path : $"'{path.Replace("'", "'\\''")}'";
}
