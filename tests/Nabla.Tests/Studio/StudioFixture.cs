using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Nabla.Studio;
using Nabla.Studio.Engine;

namespace Nabla.Tests.Studio;

/// <summary>A real Kestrel server on a free loopback port, training on the bundled sample, shared by one test class.</summary>
public sealed class StudioFixture : IAsyncLifetime
{
    private static readonly Lazy<StudioData> SampleData = new(() => StudioData.Locate(TestFiles.SampleDirectory));

    public StudioServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    internal TempDirectory Folder { get; } = new();
    public StudioData Data => SampleData.Value;

    public async Task InitializeAsync()
    {
        Server = await StudioServer.StartAsync(new StudioSettings
        {
            Urls = ["http://127.0.0.1:0"], Folder = Folder.Path, SnapshotInterval = TimeSpan.FromMilliseconds(100),
        }, Data);
        BaseAddress = new Uri(Server.Addresses.Single());
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Folder.Dispose();
    }

    public record Answer(HttpStatusCode Status, string Body, HttpResponseMessage Response)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
        public string Error => Json.GetProperty("error").GetString()!;
    }

    public async Task<Answer> Get(string path)
    {
        var response = await Client.GetAsync(path);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    public async Task<Answer> Post(string path, string json, string contentType = "application/json")
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var response = await Client.PostAsync(path, content);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    /// <summary>Stops whatever run there is, so that a test starts from a quiet server.</summary>
    public async Task StopRun()
    {
        if (Server.Host.Current is { } run)
        {
            run.Stop();
            run.Join(TimeSpan.FromSeconds(30));
        }
        await Task.CompletedTask;
    }

    /// <summary>Polls GET /api/runs/current until <paramref name="done"/> holds (at most <paramref name="seconds"/>).</summary>
    public async Task<JsonElement> WaitForRun(Func<JsonElement, bool> done, double seconds = 60)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var run = (await Get("/api/runs/current?history=false")).Json;
            if (done(run)) return run;
            if (clock.Elapsed.TotalSeconds > seconds) throw new TimeoutException($"the run did not get there in {seconds} s: {run}");
            await Task.Delay(20);
        }
    }
}
