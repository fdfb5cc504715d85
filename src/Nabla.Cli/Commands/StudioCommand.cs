using System.CommandLine;
using System.Diagnostics;
using Nabla.Studio;
using Nabla.Studio.Engine;

namespace Nabla.Cli.Commands;

/// <summary>`nabla studio`: the page that shows backprop at work, served on this machine (see src/Nabla.Studio).</summary>
internal static class StudioCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free port)", DefaultValueFactory = _ => 5005 };
        var urls = new Option<string?>("--urls") { Description = "Listen on these addresses instead (semicolon-separated, e.g. http://0.0.0.0:5005); anything but loopback is reachable by others and has no login" };
        var open = new Option<bool>("--open") { Description = "Open the page in the default browser" };
        var output = new Option<string?>("--out") { Description = "Where the page's Save button writes the model file (default: a new file in the current folder)" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Where Ctrl-C checkpoints a run in progress (default: a new nabla-interrupted-* folder)" };
        var command = new Command("studio", "Open Nabla Studio: watch backprop work in the browser (train, the network, the five steps, the demon, saturation, results, Playground mode)")
        {
            data, port, urls, open, output, checkpoint,
        };
        command.SetAction(parse => Run(parse.GetValue(data), parse.GetValue(port), parse.GetValue(urls), parse.GetValue(open), parse.GetValue(output), parse.GetValue(checkpoint)));
        return command;
    }

    private static int Run(string? dataDirectory, int port, string? urls, bool open, string? output, string? checkpoint)
    {
        if (port is < 0 or > 65535) throw new CliException($"--port: must be 0 to 65535, got {port}", ExitCodes.InvalidArguments);
        string[] addresses = urls is null ? [$"http://127.0.0.1:{port}"] : urls.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (addresses.Length == 0) throw new CliException("--urls: give at least one address, e.g. http://127.0.0.1:5005", ExitCodes.InvalidArguments);
        foreach (var a in addresses)
            if (!Uri.TryCreate(a.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var uri) || uri.Scheme != "http")
                throw new CliException($"--urls: '{a}' is not an http:// address such as http://127.0.0.1:5005", ExitCodes.InvalidArguments);
        if (output is not null && Directory.Exists(output)) throw new CliException($"--out: {output} is a folder; give a file name such as model.safetensors", ExitCodes.InvalidArguments);
        if (output is not null && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(output))))
            throw new CliException($"--out: the folder of {output} does not exist", ExitCodes.InvalidArguments);

        var data = new StudioData(CommonOptions.LocateData(dataDirectory));
        var settings = new StudioSettings { DataDirectory = dataDirectory, Urls = addresses, Out = output, Checkpoint = checkpoint };
        if (!StudioServer.IsLoopbackOnly(addresses))
            Console.Error.WriteLine($"nabla: warning: listening on {string.Join(", ", addresses)}, not only on this machine (127.0.0.1): " +
                                    "anyone who can reach it can start training runs and read the data; the Studio has no login.");
        StudioServer server;
        try
        {
            server = StudioServer.StartAsync(settings, data).GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            throw new CliException($"cannot listen on {string.Join(", ", addresses)}: {e.Message.TrimEnd('.')}{(urls is null ? "; try another --port" : "")}", ExitCodes.InvalidArguments);
        }
        string url = server.Addresses.FirstOrDefault()?.Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://localhost") ?? addresses[0];
        Console.WriteLine($"Data: {data.Mnist.Description}");
        Console.WriteLine($"Nabla Studio: {url}/  (Ctrl-C stops it)");
        if (open) OpenBrowser(url);
        server.WaitForShutdownAsync().GetAwaiter().GetResult();
        if (server.InterruptionCheckpoint is string directory)
        {
            Console.Error.WriteLine($"nabla: interrupted the run in progress; checkpoint written to {directory}. Resume with: nabla train --resume {directory}");
            return ExitCodes.Interrupted;
        }
        Console.Error.WriteLine("nabla: Studio stopped.");
        return ExitCodes.Success;
    }

    private static void OpenBrowser(string url)
    {
        try
        {
            // xdg-open on Linux; elsewhere the shell opens a URL with the default browser.
            var start = OperatingSystem.IsLinux()
                ? new ProcessStartInfo("xdg-open", url) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true }
                : new ProcessStartInfo(url) { UseShellExecute = true };
            using var _ = Process.Start(start);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Console.Error.WriteLine($"nabla: could not open a browser ({e.Message}); open {url}/ yourself");
        }
    }
}
