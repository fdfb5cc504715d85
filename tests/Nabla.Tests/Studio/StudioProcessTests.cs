using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Nabla.Cli;
using Nabla.Tests.Cli;

namespace Nabla.Tests.Studio;

/// <summary>`nabla studio` as a process: it says where it listens and which data it uses; Ctrl-C stops it cleanly and checkpoints a run in progress as `nabla train` does.</summary>
public class StudioProcessTests
{
    private static (Process Process, Uri Url, string Data) StartStudio(params string[] extra)
    {
        var process = CliProcess.Start(["studio", "--port", "0", "--data", TestFiles.SampleDirectory, .. extra]);
        string? data = null, line;
        var clock = Stopwatch.StartNew();
        while ((line = process.StandardOutput.ReadLine()) is not null && clock.Elapsed.TotalSeconds < 60)
        {
            if (line.StartsWith("Data: ")) data = line;
            if (line.StartsWith("Nabla Studio: "))
                return (process, new Uri(line["Nabla Studio: ".Length..].Split(' ')[0]), data ?? "");
        }
        process.Kill();
        throw new InvalidOperationException("nabla studio did not print its address");
    }

    private static async Task<JsonElement> Post(HttpClient client, string path, string body)
    {
        var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private static void Interrupt(Process process)
    {
        using var kill = Process.Start("kill", [$"-{CliProcess.CtrlC}", process.Id.ToString()]);
        kill.WaitForExit();
    }

    [Fact]
    public async Task Ctrl_C_checkpoints_the_run_in_progress_and_train_resume_ends_where_an_uninterrupted_train_does()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("studio-run");
        var (process, url, data) = StartStudio("--checkpoint", checkpoint);
        Assert.Equal("http", url.Scheme);
        Assert.Equal("127.0.0.1", url.Host);
        Assert.Contains("fashion-mnist-sample", data);
        using (var client = new HttpClient { BaseAddress = url })
        {
            await Post(client, "/api/runs", """{"layers":[784,30,10],"epochs":2,"train_size":1000,"paused":true}""");
            await Post(client, "/api/runs/current/step", """{"count":5}""");
            var clock = Stopwatch.StartNew();
            while (JsonDocument.Parse(await client.GetStringAsync("/api/runs/current?history=false")).RootElement.GetProperty("position").GetInt32() < 50)
            {
                Assert.True(clock.Elapsed.TotalSeconds < 60, "the steps did not happen");
                await Task.Delay(20);
            }
        }
        Interrupt(process);
        var result = CliProcess.Finish(process);
        Assert.Equal(ExitCodes.Interrupted, result.ExitCode);
        Assert.Contains($"checkpoint written to {checkpoint}. Resume with: nabla train --resume {checkpoint}", result.Stderr);
        var state = Checkpoint.ReadState(checkpoint);
        Assert.Equal((0, 50), (state.Epoch, state.Position));

        // `nabla train` continues it, and ends with the very weights of a run never interrupted.
        string resumed = dir.File("resumed.safetensors"), straight = dir.File("straight.safetensors");
        var resume = CliProcess.Run("train", "--resume", checkpoint, "--data", TestFiles.SampleDirectory, "--out", resumed);
        Assert.True(resume.ExitCode == 0, resume.Stderr);
        var plain = CliProcess.Run("train", "--layers", "784,30,10", "--epochs", "2", "--train-size", "1000", "--data", TestFiles.SampleDirectory, "--out", straight);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.Equal(File.ReadAllBytes(straight), File.ReadAllBytes(resumed));
    }

    [Fact]
    public async Task Ctrl_C_with_no_run_in_progress_stops_cleanly_with_0()
    {
        var (process, url, _) = StartStudio();
        using (var client = new HttpClient { BaseAddress = url })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
            // An open event stream does not hold the server up.
            var events = await client.GetAsync("/api/runs/current/events", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, events.StatusCode);
            Interrupt(process);
            var result = CliProcess.Finish(process);
            Assert.Equal(0, result.ExitCode);
            Assert.Contains("Studio stopped", result.Stderr);
        }
    }

    [Fact]
    public void Help_says_nabla_and_lists_studio()
    {
        var help = CliProcess.Run("--help");
        Assert.Contains("  nabla [command] [options]", help.Stdout);
        Assert.DoesNotContain("Nabla.Cli", help.Stdout);
        Assert.Contains("studio", help.Stdout);
        var studioHelp = CliProcess.Run("studio", "--help");
        Assert.Contains("nabla studio [options]", studioHelp.Stdout);
        Assert.Contains("--urls", studioHelp.Stdout);
    }

    [Fact]
    public void A_bad_port_or_address_is_a_one_line_error()
    {
        var port = CliProcess.Run("studio", "--port", "70000", "--data", TestFiles.SampleDirectory);
        Assert.Equal(ExitCodes.InvalidArguments, port.ExitCode);
        Assert.Contains("--port: must be 0 to 65535", port.Stderr);
        var urls = CliProcess.Run("studio", "--urls", "ftp://x", "--data", TestFiles.SampleDirectory);
        Assert.Equal(ExitCodes.InvalidArguments, urls.ExitCode);
        Assert.Contains("is not an http:// address", urls.Stderr);
    }
}
