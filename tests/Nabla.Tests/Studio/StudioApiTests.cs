using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Nabla.Studio;
using Nabla.Tests.Cli;
using static Nabla.Tests.Studio.StudioFixture;

namespace Nabla.Tests.Studio;

/// <summary>
/// The Studio's HTTP API on a real Kestrel server (loopback, a free port): each endpoint, each class of bad request,
/// 409 for a second run, many event-stream clients and clients that vanish. The tests of one class share the server
/// and run one after another.
/// </summary>
public class StudioApiTests(StudioFixture studio) : IClassFixture<StudioFixture>
{
    // Long enough that it is still training when the test acts on it: 8,334 examples an epoch, 10,000 epochs.
    private const string LongRun = """{"layers":[784,30,10],"epochs":10000}""";

    private static void NoStackTrace(Answer a)
    {
        Assert.DoesNotContain("   at ", a.Body);
        Assert.DoesNotContain("Exception", a.Body);
    }

    [Fact]
    public async Task Health_and_options_say_which_data_and_what_the_limits_are()
    {
        var health = await studio.Get("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal("ok", health.Json.GetProperty("status").GetString());

        var options = await studio.Get("/api/options");
        Assert.Equal(HttpStatusCode.OK, options.Status);
        var data = options.Json.GetProperty("data");
        Assert.Contains("fashion-mnist-sample", data.GetProperty("description").GetString());
        Assert.Equal(8334, data.GetProperty("training").GetInt32());
        Assert.Equal("Ankle boot", data.GetProperty("classes")[9].GetString());
        var limits = options.Json.GetProperty("limits");
        Assert.Equal(64 * 1024, limits.GetProperty("max_body_bytes").GetInt32());
        Assert.True(limits.GetProperty("max_parameters").GetInt32() > 0);
        Assert.Equal(784, options.Json.GetProperty("defaults").GetProperty("layers")[0].GetInt32());
        Assert.Contains("spiral", options.Json.GetProperty("playground").GetProperty("sets").EnumerateArray().Select(e => e.GetString()));
        // The page's safety headers are on every answer.
        Assert.Contains("default-src 'self'", options.Response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", options.Response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task The_page_and_its_modules_are_served_from_the_assembly_and_nothing_else()
    {
        var page = await studio.Get("/");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.StartsWith("text/html", page.Response.Content.Headers.ContentType!.ToString());
        Assert.Contains("<script type=\"module\"", page.Body);
        Assert.Contains("script-src 'self'", page.Response.Headers.GetValues("Content-Security-Policy").Single());
        var module = await studio.Get("/js/app.js");
        Assert.Equal(HttpStatusCode.OK, module.Status);
        Assert.StartsWith("text/javascript", module.Response.Content.Headers.ContentType!.ToString());
        // No file on disk is ever opened from a client's path.
        foreach (var path in new[] { "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/Nabla.Studio.dll", "/wwwroot/index.html", "/js/../../Nabla.dll" })
        {
            var a = await studio.Get(path);
            Assert.Equal(HttpStatusCode.NotFound, a.Status);
            Assert.DoesNotContain("root:", a.Body);
            NoStackTrace(a);
        }
        // Raw, un-normalised request line.
        string raw = await RawRequest("GET /../../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        Assert.DoesNotContain("root:", raw);
    }

    [Fact]
    public async Task A_second_run_while_one_trains_is_409_and_pause_resume_stop_answer_with_the_state()
    {
        await studio.StopRun();
        var first = await studio.Post("/api/runs", LongRun);
        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal("running", first.Json.GetProperty("state").GetString());
        int id = first.Json.GetProperty("id").GetInt32();

        var second = await studio.Post("/api/runs", """{"layers":[784,10,10],"epochs":1}""");
        Assert.Equal(HttpStatusCode.Conflict, second.Status);
        Assert.Contains("is training", second.Error);
        Assert.Equal(id, (await studio.Get("/api/runs/current")).Json.GetProperty("id").GetInt32());

        var stepWhileRunning = await studio.Post("/api/runs/current/step", "{}");
        Assert.Equal(HttpStatusCode.Conflict, stepWhileRunning.Status);

        Assert.Equal(HttpStatusCode.OK, (await studio.Post("/api/runs/current/pause", "")).Status);
        var paused = await studio.WaitForRun(r => r.GetProperty("state").GetString() == "paused");
        int position = paused.GetProperty("position").GetInt32(), epoch = paused.GetProperty("epoch").GetInt32();
        await Task.Delay(300);
        var still = (await studio.Get("/api/runs/current?history=false")).Json;
        Assert.Equal((epoch, position), (still.GetProperty("epoch").GetInt32(), still.GetProperty("position").GetInt32()));

        Assert.Equal("running", (await studio.Post("/api/runs/current/resume", "")).Json.GetProperty("state").GetString());
        var stopped = await studio.Post("/api/runs/current/stop", "");
        Assert.Equal("stopped", stopped.Json.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await studio.Post("/api/runs/current/resume", "")).Status);

        // A stopped run is replaced by the next.
        var third = await studio.Post("/api/runs", """{"layers":[784,10,10],"epochs":1,"train-size":500}""");
        Assert.Equal(HttpStatusCode.Accepted, third.Status);
        Assert.Equal(id + 1, third.Json.GetProperty("id").GetInt32());
        await studio.WaitForRun(r => r.GetProperty("state").GetString() == "finished");
    }

    [Fact]
    public async Task A_run_with_expanded_images_trains_and_carries_its_expansion_to_train_resume()
    {
        await studio.StopRun();
        const string options = """{"layers":[784,30,10],"epochs":1,"train_size":300,"expand":true,"expand_shift":2,"expand_rotation":5,"expand_mirror":true}""";
        Assert.Equal(HttpStatusCode.Accepted, (await studio.Post("/api/runs", options)).Status);
        await studio.WaitForRun(r => r.GetProperty("state").GetString() == "finished");

        var arguments = Nabla.Studio.Engine.RunOptions.Parse(JsonDocument.Parse(options).RootElement).ToTrainArguments();
        Assert.Equal(("", "2", "5", "nearest", ""), (arguments["--expand"], arguments["--expand-shift"], arguments["--expand-rotation"],
            arguments["--expand-interpolation"], arguments["--expand-mirror"]));
        Assert.DoesNotContain("--expand", Nabla.Studio.Engine.RunOptions.Parse(JsonDocument.Parse("{}").RootElement).ToTrainArguments().Keys);
    }

    [Fact]
    public async Task Steps_move_one_mini_batch_at_a_time_and_epochs_have_the_fields_of_train_json()
    {
        await studio.StopRun();
        var created = await studio.Post("/api/runs", """{"layers":[784,30,10],"epochs":2,"train_size":1000,"batch":10,"monitor":"all","paused":true}""");
        Assert.Equal(HttpStatusCode.Accepted, created.Status);
        Assert.Equal("paused", created.Json.GetProperty("state").GetString());
        long snapshot = created.Json.GetProperty("snapshot").GetInt64();

        Assert.Equal(HttpStatusCode.OK, (await studio.Post("/api/runs/current/step", "{}")).Status);
        var one = await studio.WaitForRun(r => r.GetProperty("position").GetInt32() == 10);
        Assert.True(one.GetProperty("snapshot").GetInt64() > snapshot, "a step gives a new snapshot at once");
        await studio.Post("/api/runs/current/step", """{"count":3}""");
        await studio.WaitForRun(r => r.GetProperty("position").GetInt32() == 40);
        await Task.Delay(200);
        Assert.Equal(40, (await studio.Get("/api/runs/current?history=false")).Json.GetProperty("position").GetInt32());

        await studio.Post("/api/runs/current/resume", "");
        var done = await studio.WaitForRun(r => r.GetProperty("state").GetString() == "finished");
        Assert.Equal("epochs", done.GetProperty("stop_reason").GetString());
        var epochs = (await studio.Get("/api/runs/current")).Json.GetProperty("history").GetProperty("epochs");
        Assert.Equal(2, epochs.GetArrayLength());
        Assert.Equal("Epoch 1: " + epochs[1].GetProperty("test_correct").GetInt32() + " / 2000", epochs[1].GetProperty("line").GetString());

        // The same fields as `nabla train --json` writes for each epoch.
        var cli = CliProcess.Run("train", "--json", "--data", TestFiles.SampleDirectory, "--train-size", "200", "--epochs", "1", "--monitor", "all");
        Assert.Equal(0, cli.ExitCode);
        var cliEpoch = JsonDocument.Parse(cli.Stdout).RootElement.GetProperty("epochs")[0];
        foreach (var field in cliEpoch.EnumerateObject().Select(p => p.Name).Where(n => n != "diagnostics"))
            Assert.True(epochs[0].TryGetProperty(field, out _), $"the epoch event lacks train --json's field {field}");
        Assert.True(epochs[0].GetProperty("train_seconds").GetDouble() > 0);
        Assert.Equal(2000, epochs[0].GetProperty("test_total").GetInt32());
    }

    [Fact]
    public async Task Backprop_gives_the_engines_numbers_for_the_example()
    {
        await studio.StopRun();
        await studio.Post("/api/runs", """{"layers":[784,16,12,10],"epochs":1,"train_size":500}""");
        await studio.WaitForRun(r => r.GetProperty("state").GetString() == "finished");
        var answer = await studio.Post("/api/backprop", """{"example": 7}""");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var json = answer.Json;

        var network = studio.Server.Host.Current!.Snapshot.Network;
        var (x, y, label) = Nabla.Studio.Engine.Probe.Example(studio.Data.Mnist.Test, 7);
        Assert.Equal(label, json.GetProperty("label").GetInt32());
        var gradient = network.Backprop(x, y, Cost.Quadratic);
        var pass = network.Forward(x);
        var layers = json.GetProperty("layers");
        Assert.Equal(3, layers.GetArrayLength());
        for (int l = 1; l <= 3; l++)
        {
            var layer = layers[l - 1];
            AssertClose(pass.WeightedInput(l).ToArray(), layer.GetProperty("z"));
            AssertClose(pass.Activation(l).ToArray(), layer.GetProperty("a"));
            AssertClose(gradient.Biases[l], layer.GetProperty("delta"));
            AssertClose(gradient.Biases[l], layer.GetProperty("dc_db"));
            var dw = layer.GetProperty("dc_dw");
            for (int j = 0; j < network.Sizes[l]; j++) AssertClose(gradient.Weights[l].Row(j).ToArray(), dw[j]);
            if (l < 3)
            {
                // BP2: the two factors shown multiply to δ^l.
                var wd = layer.GetProperty("weighted_error").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                var sp = layer.GetProperty("sigma_prime").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                for (int j = 0; j < wd.Length; j++) Assert.Equal(gradient.Biases[l][j], wd[j] * sp[j], 1e-12);
            }
        }
        // BP1: ∇_a C ⊙ σ'(z^L) = δ^L for the quadratic cost and sigmoid outputs.
        var costGradient = json.GetProperty("cost_gradient").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var outputPrime = layers[2].GetProperty("sigma_prime").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int j = 0; j < 10; j++) Assert.Equal(gradient.Biases[3][j], costGradient[j] * outputPrime[j], 1e-12);
    }

    private static void AssertClose(IReadOnlyList<double> expected, JsonElement actual)
    {
        Assert.Equal(expected.Count, actual.GetArrayLength());
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i].GetDouble(), 1e-12);
    }

    [Fact]
    public async Task Demon_gradient_check_example_and_results_answer_from_the_engine()
    {
        await studio.StopRun();
        await studio.Post("/api/runs", """{"layers":[784,30,10],"epochs":1,"train_size":2000}""");
        await studio.WaitForRun(r => r.GetProperty("state").GetString() == "finished");

        var demon = await studio.Post("/api/demon", """{"example":2,"layer":1,"neuron":4,"dz":[-0.01,0.01,0.5]}""");
        Assert.Equal(HttpStatusCode.OK, demon.Status);
        double delta = demon.Json.GetProperty("delta").GetDouble();
        var network = studio.Server.Host.Current!.Snapshot.Network;
        var (x, y, _) = Nabla.Studio.Engine.Probe.Example(studio.Data.Mnist.Test, 2);
        Assert.Equal(network.Backprop(x, y, Cost.Quadratic).Biases[1][4], delta, 1e-15);
        var points = demon.Json.GetProperty("points");
        Assert.Equal(3, points.GetArrayLength());
        Assert.Equal(delta * 0.5, points[2].GetProperty("predicted_dC").GetDouble(), 1e-15);
        double small = Math.Abs(points[1].GetProperty("measured_dC").GetDouble() - points[1].GetProperty("predicted_dC").GetDouble());
        double large = Math.Abs(points[2].GetProperty("measured_dC").GetDouble() - points[2].GetProperty("predicted_dC").GetDouble());
        Assert.True(small < large, "the demon's error grows with Δz (second order)");

        var check = await studio.Post("/api/gradcheck", """{"example":2}""");
        Assert.Equal(HttpStatusCode.OK, check.Status);
        Assert.True(check.Json.GetProperty("passed").GetBoolean(), check.Body);
        Assert.Equal(23860, check.Json.GetProperty("parameters").GetInt32());
        Assert.True(check.Json.GetProperty("max_relative_error").GetDouble() < 1e-5);
        Assert.Equal(23861, check.Json.GetProperty("forward_passes_finite_difference").GetInt64());
        Assert.Equal(1, check.Json.GetProperty("forward_passes_backprop").GetInt32());

        var example = await studio.Get("/api/examples/2?set=test");
        var testLabels = studio.Data.Mnist.Test.Labels;
        Assert.NotNull(testLabels);
        Assert.Equal(testLabels[2], example.Json.GetProperty("label").GetInt32());
        Assert.Equal(784, example.Json.GetProperty("input").GetArrayLength());
        Assert.Equal(28, example.Json.GetProperty("width").GetInt32());
        Assert.Equal(network.Predict(x), example.Json.GetProperty("predicted").GetInt32());

        var results = await studio.Post("/api/results", "{}");
        Assert.Equal(HttpStatusCode.OK, results.Status);
        var confusion = results.Json.GetProperty("confusion");
        int total = 0, diagonal = 0;
        for (int t = 0; t < 10; t++)
            for (int p = 0; p < 10; p++)
            {
                int n = confusion[t][p].GetInt32();
                total += n;
                if (t == p) diagonal += n;
            }
        Assert.Equal(2000, total);
        Assert.Equal(results.Json.GetProperty("correct").GetInt32(), diagonal);
        Assert.Equal(Sgd<double>.Evaluate(network, Cost.Quadratic, studio.Data.Mnist.Test).Correct, diagonal);
        var mistake = results.Json.GetProperty("misclassified")[0];
        Assert.NotEqual(mistake.GetProperty("label").GetInt32(), mistake.GetProperty("predicted").GetInt32());
        Assert.Equal(10, mistake.GetProperty("output").GetArrayLength());

        var saved = await studio.Post("/api/runs/current/save", "");
        Assert.Equal(HttpStatusCode.OK, saved.Status);
        string path = saved.Json.GetProperty("saved").GetString()!;
        Assert.StartsWith(studio.Folder.Path, path);
        Assert.Equal([784, 30, 10], ModelFile.Load<float>(path).Network.Sizes);
    }

    [Fact]
    public async Task Playground_runs_map_every_neuron_over_the_plane()
    {
        await studio.StopRun();
        var created = await studio.Post("/api/runs", """{"data":"xor","layers":[2,4,2],"activation":"tanh,sigmoid","epochs":5,"eta":0.3,"points":200,"noise":10}""");
        Assert.Equal(HttpStatusCode.Accepted, created.Status);
        await studio.WaitForRun(r => r.GetProperty("state").GetString() == "finished");
        var map = await studio.Post("/api/playground/map", """{"resolution":10}""");
        Assert.Equal(HttpStatusCode.OK, map.Status);
        var maps = map.Json.GetProperty("maps");
        Assert.Equal(3, maps.GetArrayLength());
        Assert.Equal(4, maps[1].GetArrayLength());
        Assert.Equal(100, maps[1][0].GetArrayLength());
        Assert.Equal(100, map.Json.GetProperty("decision").GetArrayLength());
        Assert.Equal(200, map.Json.GetProperty("points").GetArrayLength());
        // The top-left cell's output, from the engine: x = (−5.4, 5.4).
        var network = studio.Server.Host.Current!.Snapshot.Network;
        var output = network.Forward([-5.4, 5.4]).Output;
        Assert.Equal(output[1] - output[0], map.Json.GetProperty("decision")[0].GetDouble(), 1e-6);
    }

    [Fact]
    public async Task Slowdown_compares_quadratic_and_cross_entropy()
    {
        var answer = await studio.Post("/api/slowdown", """{"epochs":1,"train_size":1000}""");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var series = answer.Json.GetProperty("series");
        Assert.Equal("quadratic", series[0].GetProperty("cost").GetString());
        Assert.Equal("cross-entropy", series[1].GetProperty("cost").GetString());
        var quadratic = series[0].GetProperty("snapshots");
        Assert.True(quadratic.GetArrayLength() >= 10);
        Assert.Equal(2, quadratic[0].GetProperty("weight_gradient_norms").GetArrayLength());
    }

    public static TheoryData<string, string, string, HttpStatusCode, string> BadRequests => new()
    {
        // class, path, body, status, a phrase of the one-line answer
        { "malformed JSON", "/api/runs", "{\"layers\": [784,", HttpStatusCode.BadRequest, "not valid JSON" },
        { "not an object", "/api/runs", "[1,2,3]", HttpStatusCode.BadRequest, "JSON object" },
        { "unknown option", "/api/runs", "{\"frobnicate\": 1}", HttpStatusCode.BadRequest, "unknown option 'frobnicate'" },
        { "wrong type", "/api/runs", "{\"eta\": \"fast\"}", HttpStatusCode.BadRequest, "eta: expected a number" },
        { "library check: η", "/api/runs", "{\"eta\": -1}", HttpStatusCode.BadRequest, "eta: the learning rate" },
        { "library check: m", "/api/runs", "{\"batch\": 0}", HttpStatusCode.BadRequest, "batch: the mini-batch size" },
        { "library check: dropout", "/api/runs", "{\"dropout\": 1.5}", HttpStatusCode.BadRequest, "dropout:" },
        { "library check: expand", "/api/runs", "{\"expand\": true, \"expand_shift\": 40}", HttpStatusCode.BadRequest, "expand: image expansion: the largest shift must be 0 to 27" },
        { "expand on Playground points", "/api/runs", "{\"data\": \"spiral\", \"layers\":[2,4,2], \"expand\": true}", HttpStatusCode.BadRequest, "expand: the Playground's points are not images" },
        { "library check: activation", "/api/runs", "{\"activation\": \"swish\"}", HttpStatusCode.BadRequest, "unknown activation 'swish'" },
        { "library check: cost", "/api/runs", "{\"cost\": \"hinge\"}", HttpStatusCode.BadRequest, "unknown cost 'hinge'" },
        { "library check: cost against the output σ", "/api/runs", "{\"cost\": \"cross-entropy\", \"activation\": \"relu\"}", HttpStatusCode.BadRequest, "cost:" },
        { "library check: epochs", "/api/runs", "{\"epochs\": -3}", HttpStatusCode.BadRequest, "epochs:" },
        { "shape against the data", "/api/runs", "{\"layers\": [100,30,10]}", HttpStatusCode.BadRequest, "the data has 784 inputs" },
        { "limit: neurons", "/api/runs", "{\"layers\": [784,100000,10]}", HttpStatusCode.BadRequest, "1 to 2048" },
        { "limit: parameters", "/api/runs", "{\"layers\": [784,2048,2048,2048,10]}", HttpStatusCode.BadRequest, "the Studio allows" },
        { "limit: epochs", "/api/runs", "{\"epochs\": 1000000}", HttpStatusCode.BadRequest, "epochs: at most" },
        { "limit: layers", "/api/runs", "{\"layers\": [784,5,5,5,5,5,5,5,5,10]}", HttpStatusCode.BadRequest, "2 to 8 layer sizes" },
        { "whole number out of range", "/api/runs", "{\"batch\": 1e30}", HttpStatusCode.BadRequest, "batch: expected a whole number" },
        { "Playground: bad set", "/api/runs", "{\"data\": \"moons\"}", HttpStatusCode.BadRequest, "not mnist or a Playground set" },
        { "Playground: too many points", "/api/runs", "{\"data\": \"spiral\", \"layers\":[2,4,2], \"points\": 10000000}", HttpStatusCode.BadRequest, "points: must be" },
        { "nesting too deep", "/api/runs", new string('[', 100) + new string(']', 100), HttpStatusCode.BadRequest, "not valid JSON" },
        { "a path as data", "/api/runs", "{\"data\": \"/etc/passwd\"}", HttpStatusCode.BadRequest, "not mnist or a Playground set" },
        { "example out of range", "/api/backprop", "{\"example\": 99999}", HttpStatusCode.BadRequest, "does not exist" },
        { "example negative", "/api/demon", "{\"example\": -1}", HttpStatusCode.BadRequest, "does not exist" },
        { "demon: no such neuron", "/api/demon", "{\"layer\": 1, \"neuron\": 999}", HttpStatusCode.BadRequest, "neuron 999 does not exist" },
        { "demon: no such layer", "/api/demon", "{\"layer\": 0}", HttpStatusCode.BadRequest, "layer 0 has no weighted input" },
        { "demon: Δz too large", "/api/demon", "{\"dz\": 1e300}", HttpStatusCode.BadRequest, "between −100 and 100" },
        { "set that does not exist", "/api/backprop", "{\"set\": \"../../etc\"}", HttpStatusCode.BadRequest, "is not test, training" },
        { "unknown run action", "/api/runs/current/explode", "{}", HttpStatusCode.NotFound, "no action 'explode'" },
        { "unknown endpoint", "/api/nothing", "{}", HttpStatusCode.NotFound, "no endpoint" },
        { "step count", "/api/runs/current/step", "{\"count\": 0}", HttpStatusCode.BadRequest, "count: 1 to" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_a_one_line_error_and_the_server_goes_on(string what, string path, string body, HttpStatusCode status, string phrase)
    {
        if (Server.Host.Current is null) await studio.Post("/api/runs", """{"layers":[784,30,10],"epochs":1,"train_size":100,"paused":true}""");
        var a = await studio.Post(path, body);
        Assert.True(status == a.Status, $"{what}: expected {status}, got {a.Status}: {a.Body}");
        Assert.Contains(phrase, a.Error);
        Assert.DoesNotContain('\n', a.Error);
        NoStackTrace(a);
        Assert.Equal(HttpStatusCode.OK, (await studio.Get("/api/health")).Status);
    }

    private StudioServer Server => studio.Server;

    [Fact]
    public async Task Oversized_wrongly_typed_and_foreign_requests_are_refused_and_the_server_goes_on()
    {
        // A body over 64 KB, announced and sent in chunks without a length. The server answers 413 without reading it and
        // closes the connection; a client still sending may see the connection reset before it reads the answer. Either
        // way it is refused, and the server goes on.
        foreach (bool chunked in new[] { false, true })
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"layers\":[" + string.Join(",", Enumerable.Repeat("1", 40_000)) + "]}"));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = content };
            request.Headers.TransferEncodingChunked = chunked;
            try
            {
                var response = await studio.Client.SendAsync(request);
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
                Assert.Contains("limit", await response.Content.ReadAsStringAsync());
            }
            catch (HttpRequestException) { }
            Assert.Equal(HttpStatusCode.OK, (await studio.Get("/api/health")).Status);
        }
        // Announced alone (the headers, no body yet): the answer comes before a byte of it is read.
        string announced = await RawRequest($"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 413", announced);
        Assert.Contains("the limit is 65,536", announced);
        // A form post (what another site could make a browser send) is not JSON.
        var form = await studio.Post("/api/runs", "layers=784", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.Status);
        // A request addressed to another host name (DNS rebinding) is refused.
        var foreign = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        foreign.Headers.Host = "attacker.example";
        var refused = await studio.Client.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("localhost only", await refused.Content.ReadAsStringAsync());
        // Garbage on the socket.
        string raw = await RawRequest("\x01\x02NOT HTTP AT ALL\r\n\r\n");
        Assert.DoesNotContain("   at ", raw);
        Assert.Equal(HttpStatusCode.OK, (await studio.Get("/api/health")).Status);
    }

    [Fact]
    public async Task Fifty_event_stream_clients_all_get_the_events_and_vanishing_clients_are_dropped()
    {
        await studio.StopRun();
        await studio.Post("/api/runs", """{"layers":[784,30,10],"epochs":3,"train_size":2000,"paused":true}""");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var clients = Enumerable.Range(0, 50).Select(_ => new HttpClient { BaseAddress = studio.BaseAddress, Timeout = Timeout.InfiniteTimeSpan }).ToArray();
        var streams = new List<StreamReader>();
        foreach (var client in clients)
        {
            var response = await client.GetAsync("/api/runs/current/events", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
            streams.Add(new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token)));
        }
        Assert.Equal(50, (await studio.Get("/api/health")).Json.GetProperty("event_clients").GetInt32());
        await studio.Post("/api/runs/current/resume", "");
        // Every client sees all three epochs and the end of the run.
        var seen = await Task.WhenAll(streams.Select(async reader =>
        {
            var epochs = new HashSet<int>();
            bool finished = false, progress = false;
            string? type = null;
            while (!(finished && epochs.Count == 3) && await reader.ReadLineAsync(timeout.Token) is string line)
            {
                if (line.StartsWith("event: ")) type = line[7..];
                else if (line.StartsWith("data: "))
                {
                    var data = JsonDocument.Parse(line[6..]).RootElement;
                    if (type == "epoch") epochs.Add(data.GetProperty("epoch").GetInt32());
                    if (type == "progress") progress = true;
                    if (type == "state" && data.GetProperty("state").GetString() == "finished") finished = true;
                }
            }
            return (epochs.Count, finished, progress);
        }));
        Assert.All(seen, s => Assert.Equal((3, true), (s.Count, s.finished)));
        Assert.Contains(seen, s => s.progress);

        // Now they all vanish at once, mid-stream: the server drops them and goes on.
        foreach (var client in clients) client.Dispose();
        foreach (var s in streams) s.Dispose();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await studio.Get("/api/health")).Json.GetProperty("event_clients").GetInt32() > 0 && clock.Elapsed.TotalSeconds < 30)
        {
            studio.Server.Hub.Publish("ping", new { }); // a write to a closed connection is how a server learns it is gone
            await Task.Delay(100);
        }
        Assert.Equal(0, (await studio.Get("/api/health")).Json.GetProperty("event_clients").GetInt32());
        Assert.Equal(HttpStatusCode.Accepted, (await studio.Post("/api/runs", """{"layers":[784,10,10],"epochs":1,"train_size":200}""")).Status);
    }

    [Fact]
    public void Loopback_is_the_default_and_anything_else_is_told_apart()
    {
        Assert.Equal(["http://127.0.0.1:5005"], new StudioSettings().Urls);
        Assert.True(StudioServer.IsLoopbackOnly(["http://127.0.0.1:5005", "http://localhost:1", "http://[::1]:80", "http://127.0.0.2:9"]));
        Assert.False(StudioServer.IsLoopbackOnly(["http://0.0.0.0:5005"]));
        Assert.False(StudioServer.IsLoopbackOnly(["http://127.0.0.1:5005", "http://*:5005"]));
        Assert.False(StudioServer.IsLoopbackOnly(["http://192.168.1.4:5005"]));
        Assert.False(StudioServer.IsLoopbackOnly(["http://+:80"]));
    }

    private async Task<string> RawRequest(string text)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(studio.BaseAddress.Host, studio.BaseAddress.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(text));
        using var reader = new StreamReader(stream);
        var read = reader.ReadToEndAsync();
        return await Task.WhenAny(read, Task.Delay(5000)) == read ? read.Result : "";
    }
}
