using System.Net;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nabla.Studio.Engine;
using Nabla.Studio.Http;

namespace Nabla.Studio;

/// <summary>
/// `nabla studio`: Kestrel serving the page (embedded in this assembly) and the JSON API. Safe by default: loopback
/// only, requests answered only for a loopback Host (no DNS rebinding), bodies capped, every option checked by the
/// library with a one-line 400, no client path ever opened, a Content-Security-Policy, no stack trace in any answer.
/// </summary>
public sealed class StudioServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SemaphoreSlim _heavy = new(1, 1);
    private string? _checkpoint;

    private StudioServer(WebApplication app, RunHost host, EventHub hub, StudioSettings settings)
    {
        (_app, Host, Hub, Settings) = (app, host, hub, settings);
    }

    public RunHost Host { get; }
    public EventHub Hub { get; }
    public StudioSettings Settings { get; }

    /// <summary>The addresses Kestrel listens on (with the port it chose for port 0).</summary>
    public IReadOnlyList<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>Where Ctrl-C checkpointed the run in progress, once the server has stopped.</summary>
    public string? InterruptionCheckpoint => _checkpoint;

    /// <summary>True when every address binds loopback only (127.0.0.0/8, [::1], localhost).</summary>
    public static bool IsLoopbackOnly(IEnumerable<string> urls) => urls.All(IsLoopback);

    private static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var uri)) return false;
        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>Builds and starts the server; throws <see cref="IOException"/> when an address is taken.</summary>
    public static async Task<StudioServer> StartAsync(StudioSettings settings, StudioData data)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(settings.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = settings.Limits.MaxBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.MaxRequestLineSize = 8 * 1024;
            k.Limits.MaxConcurrentConnections = 512;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        var app = builder.Build();
        var hub = new EventHub(settings.Limits.MaxEventClients);
        var host = new RunHost(settings, data, hub);
        var server = new StudioServer(app, host, hub, settings);
        server.Configure(IsLoopbackOnly(settings.Urls));
        // Ctrl-C (the host's console lifetime) or StopAsync: end the event streams, stop the run and checkpoint it.
        app.Lifetime.ApplicationStopping.Register(() => server._checkpoint = host.Shutdown());
        await app.StartAsync();
        return server;
    }

    /// <summary>Waits until the server stops (Ctrl-C, SIGTERM or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Configure(bool loopbackOnly)
    {
        var app = _app;
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers["Content-Security-Policy"] =
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
            headers["X-Content-Type-Options"] = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["X-Frame-Options"] = "DENY";
            headers["Cache-Control"] = "no-store";
            try
            {
                // Bound to loopback, answer only requests addressed to loopback: a web page elsewhere cannot reach the API
                // by pointing a domain name of its own at 127.0.0.1 (DNS rebinding).
                if (loopbackOnly && !IsLoopbackHost(context.Request.Host.Host))
                    throw new StatusException(StatusCodes.Status400BadRequest, $"host '{Truncate(context.Request.Host.Host)}' is not served: the Studio answers on localhost only");
                await next(context);
                // Routing's own refusals (405 for a wrong method) come without a body: give them the one-line JSON too.
                if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null)
                    throw new StatusException(context.Response.StatusCode, context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed
                        ? $"{context.Request.Method} is not allowed on {Truncate(context.Request.Path)}" : $"status {context.Response.StatusCode}");
            }
            catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
            {
                // The client went away mid-request: nothing to tell it.
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                var (status, message) = Classify(e);
                if (status == StatusCodes.Status500InternalServerError) Console.Error.WriteLine($"nabla studio: {context.Request.Method} {context.Request.Path}: {e}");
                context.Response.Clear();
                context.Response.StatusCode = status;
                ApplySecurityHeaders(context.Response.Headers);
                await context.Response.WriteAsJsonAsync(new { error = message, status }, StudioJson.Options);
            }
        });

        MapApi(app);
        MapPage(app);
    }

    private static void ApplySecurityHeaders(IHeaderDictionary headers)
    {
        headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'";
        headers["X-Content-Type-Options"] = "nosniff";
        headers["Cache-Control"] = "no-store";
    }

    private static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>An exception's status and one-line message; never a stack trace.</summary>
    internal static (int Status, string Message) Classify(Exception e) => e switch
    {
        StatusException s => (s.Status, s.Message),
        RunConflictException c => (StatusCodes.Status409Conflict, c.Message),
        NoRunException n => (StatusCodes.Status404NotFound, n.Message),
        NablaException n => (StatusCodes.Status400BadRequest, OneLine(n.Message)),
        JsonException j => (StatusCodes.Status400BadRequest, $"the body is not valid JSON: {OneLine(j.Message)}"),
        BadHttpRequestException b when b.StatusCode == StatusCodes.Status413PayloadTooLarge => (413, "the request body is larger than the limit (see GET /api/options)"),
        BadHttpRequestException b => (b.StatusCode, OneLine(b.Message)),
        _ => (StatusCodes.Status500InternalServerError, $"internal error ({e.GetType().Name}); the server goes on serving"),
    };

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
    private static string Truncate(string s) => s.Length > 60 ? s[..60] + "…" : s;

    private void MapApi(WebApplication app)
    {
        var host = Host;
        var data = host.Data;
        var limits = Settings.Limits;

        app.MapGet("/api/health", () => Json(new { status = "ok", run = host.Current?.State.ToString().ToLowerInvariant() ?? "none", event_clients = Hub.ClientCount }));

        app.MapGet("/api/options", () => Json(new
        {
            data = new
            {
                description = data.Mnist.Description, directory = data.Mnist.Directory, bundled_sample = data.Mnist.IsBundledSample,
                training = data.Mnist.Training.Count, validation = data.Mnist.Validation.Count, test = data.Mnist.Test.Count,
                input_size = data.Mnist.Training.InputSize, image_side = data.ImageSide, classes = data.ClassNames,
            },
            sources = new[] { "mnist" }.Concat(ToyData.SetNames),
            playground = new { sets = ToyData.SetNames, features = ToyData.FeatureNames, extent = ToyData.Extent },
            limits,
            choices = new
            {
                activation = Activation.KnownNames, cost = Cost.KnownNames, init = new[] { "standard-normal", "scaled-normal" },
                optimizer = new[] { "sgd", "momentum", "adam" }, schedule = new[] { "constant", "step", "halving" }, regularization = new[] { "l2", "l1" },
                monitor = new[] { "training-cost", "training-accuracy", "evaluation-cost", "evaluation-accuracy" }, precision = new[] { "float32", "float64" },
            },
            defaults = new RunOptions(),
            save_to = Settings.Out is null ? "a new file in the server's folder" : "the --out file",
        }));

        app.MapPost("/api/runs", async (HttpContext context) =>
        {
            using var body = await ReadJson(context, limits);
            var run = host.Start(RunOptions.Parse(body.RootElement));
            return Results.Json(RunHost.Describe(run, history: false), StudioJson.Options, statusCode: StatusCodes.Status202Accepted);
        });
        app.MapGet("/api/runs/current", (HttpContext context) =>
            Json(RunHost.Describe(host.CurrentOrThrow, history: context.Request.Query["history"] != "false")));
        app.MapPost("/api/runs/current/{action}", async (HttpContext context, string action) =>
        {
            var run = host.CurrentOrThrow;
            using var body = await ReadJson(context, limits);
            switch (action)
            {
                case "pause": run.Pause(); break;
                case "resume": run.Resume(); break;
                case "step":
                    int count = body.RootElement.TryGetProperty("count", out var c) ? IntArgument(c, "count") : 1;
                    if (count is < 1 or > 100_000) throw new NablaException($"count: 1 to 100000 mini-batches, got {count}");
                    run.Step(count);
                    break;
                case "stop": run.Stop(); run.Join(TimeSpan.FromSeconds(10)); break;
                case "save": return Json(new { saved = host.SaveModel(), snapshot = run.Snapshot.Version, epoch = run.Snapshot.Epoch });
                default: throw new StatusException(StatusCodes.Status404NotFound, $"no action '{Truncate(action)}': pause, resume, step, stop or save");
            }
            return Json(RunHost.Describe(run, history: false));
        });
        app.MapGet("/api/runs/current/events", ServeEvents);
        MapUnknown(app);

        app.MapGet("/api/network", () => Json(Probe.Parameters(host.CurrentOrThrow, 250_000)));
        app.MapGet("/api/examples/{index}", (HttpContext context, string index) =>
            Json(Probe.DescribeExample(host.CurrentOrThrow, data, context.Request.Query["set"].FirstOrDefault(), ParseIndex(index))));

        app.MapPost("/api/backprop", async (HttpContext context) =>
        {
            using var body = await ReadJson(context, limits);
            var (set, example) = ExampleArguments(body.RootElement);
            return Json(Probe.Backprop(host.CurrentOrThrow, data, set, example));
        });
        app.MapPost("/api/demon", async (HttpContext context) =>
        {
            using var body = await ReadJson(context, limits);
            var root = body.RootElement;
            var (set, example) = ExampleArguments(root);
            int layer = root.TryGetProperty("layer", out var l) ? IntArgument(l, "layer") : 1;
            int neuron = root.TryGetProperty("neuron", out var n) ? IntArgument(n, "neuron") : 0;
            IReadOnlyList<double> nudges = root.TryGetProperty("dz", out var dz) ? Nudges(dz) : Nabla.Diagnostics.Demon.DefaultNudges;
            return Json(Probe.DemonExperiment(host.CurrentOrThrow, data, set, example, layer, neuron, nudges));
        });
        app.MapPost("/api/gradcheck", async (HttpContext context) =>
        {
            using var body = await ReadJson(context, limits);
            var (set, example) = ExampleArguments(body.RootElement);
            var run = host.CurrentOrThrow;
            return Json(await Heavy(() => Probe.GradientCheckExample(run, data, set, example, limits), context.RequestAborted));
        });
        app.MapPost("/api/results", async (HttpContext context) =>
        {
            using var body = await ReadJson(context, limits);
            var run = host.CurrentOrThrow;
            return Json(await Heavy(() => Probe.Results(run, data, 60), context.RequestAborted));
        });
        app.MapPost("/api/playground/map", async (HttpContext context) =>
        {
            using var body = await ReadJson(context, limits);
            int resolution = body.RootElement.TryGetProperty("resolution", out var r) ? IntArgument(r, "resolution") : 40;
            if (resolution is < 4 or > 100) throw new NablaException($"resolution: 4 to 100 cells a side, got {resolution}");
            return Json(Probe.PlaygroundMap(host.CurrentOrThrow, resolution));
        });
        app.MapPost("/api/slowdown", async (HttpContext context) =>
        {
            using var body = await ReadJson(context, limits);
            var root = body.RootElement;
            int[] sizes = root.TryGetProperty("layers", out var ls) && ls.ValueKind == JsonValueKind.Array
                ? ls.EnumerateArray().Select(e => IntArgument(e, "layers")).ToArray() : [data.Mnist.Training.InputSize, 30, data.Mnist.Training.ClassCount];
            int epochs = root.TryGetProperty("epochs", out var e) ? IntArgument(e, "epochs") : 2;
            int trainSize = root.TryGetProperty("train_size", out var t) ? IntArgument(t, "train_size") : Math.Min(data.Mnist.Training.Count, limits.MaxSlowdownExamples);
            double eta = root.TryGetProperty("eta", out var h) && h.ValueKind == JsonValueKind.Number ? h.GetDouble() : 0.5;
            int seed = root.TryGetProperty("seed", out var s) ? IntArgument(s, "seed") : 1;
            return Json(await Heavy(() => Probe.Slowdown(data, sizes, epochs, trainSize, eta, seed, limits), context.RequestAborted));
        });
    }

    private static void MapUnknown(WebApplication app) =>
        app.Map("/api/{**rest}", (HttpContext context) =>
            throw new StatusException(StatusCodes.Status404NotFound, $"no endpoint {context.Request.Method} {Truncate(context.Request.Path)}"));

    /// <summary>One heavy computation at a time (gradient checks, results, the slowdown experiment), off the request threads.</summary>
    private async Task<object> Heavy(Func<object> work, CancellationToken aborted)
    {
        if (!await _heavy.WaitAsync(TimeSpan.FromSeconds(60), aborted))
            throw new StatusException(StatusCodes.Status503ServiceUnavailable, "another long computation is running; try again in a moment");
        try { return await Task.Run(work, aborted); }
        finally { _heavy.Release(); }
    }

    private static IResult Json(object value) => Results.Json(value, StudioJson.Options);

    /// <summary>The event stream: the run's state at once, then every event as the publisher sends it; a comment every 15 s keeps it open.</summary>
    private async Task ServeEvents(HttpContext context)
    {
        var channel = Hub.Subscribe() ?? throw new StatusException(StatusCodes.Status503ServiceUnavailable, $"already {Hub.MaxClients} event-stream clients");
        try
        {
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers["Cache-Control"] = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            var aborted = context.RequestAborted;
            var run = Host.Current;
            await response.WriteAsync("retry: 2000\n\n" + EventHub.Format("state",
                JsonSerializer.Serialize(run is null ? new { state = "none" } : RunHost.Describe(run, history: false), StudioJson.Options)), aborted);
            await response.Body.FlushAsync(aborted);
            while (!aborted.IsCancellationRequested)
            {
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                quiet.CancelAfter(TimeSpan.FromSeconds(15));
                bool more;
                try { more = await channel.Reader.WaitToReadAsync(quiet.Token); }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", aborted);
                    await response.Body.FlushAsync(aborted);
                    continue;
                }
                if (!more) break; // the server is stopping
                while (channel.Reader.TryRead(out var message)) await response.WriteAsync(message, aborted);
                await response.Body.FlushAsync(aborted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client vanished: drop it.
        }
        finally
        {
            Hub.Unsubscribe(channel);
        }
    }

    /// <summary>
    /// The request body as JSON: application/json only (a page on another site cannot send it without the browser asking
    /// first), at most the body limit, an empty body meaning {}.
    /// </summary>
    private static async Task<JsonDocument> ReadJson(HttpContext context, StudioLimits limits)
    {
        var request = context.Request;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
                throw new StatusException(StatusCodes.Status415UnsupportedMediaType, "send the body as application/json");
        }
        if (request.ContentLength > limits.MaxBodyBytes)
            throw new StatusException(StatusCodes.Status413PayloadTooLarge, $"the request body is {request.ContentLength:N0} bytes; the limit is {limits.MaxBodyBytes:N0}");
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limits.MaxBodyBytes)
                throw new StatusException(StatusCodes.Status413PayloadTooLarge, $"the request body is larger than the limit of {limits.MaxBodyBytes:N0} bytes");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) return JsonDocument.Parse("{}");
        return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 16 });
    }

    private static (string? Set, int Example) ExampleArguments(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new NablaException("the body must be a JSON object such as {\"example\": 0}");
        int example = root.TryGetProperty("example", out var e) ? IntArgument(e, "example") : 0;
        string? set = root.TryGetProperty("set", out var s) ? (s.ValueKind == JsonValueKind.String ? s.GetString() : throw new NablaException("set: expected \"test\", \"training\" or \"validation\"")) : null;
        return (set, example);
    }

    private static int IntArgument(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i) ? i : throw new NablaException($"{name}: expected a whole number, got {Truncate(e.GetRawText())}");

    private static int ParseIndex(string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i) ? i
        : throw new NablaException($"example: '{Truncate(text)}' is not an example number");

    private static IReadOnlyList<double> Nudges(JsonElement dz)
    {
        var values = dz.ValueKind switch
        {
            JsonValueKind.Number => [dz.GetDouble()],
            JsonValueKind.Array => dz.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new NablaException("dz: expected numbers")).ToArray(),
            _ => throw new NablaException("dz: expected a number or a list of numbers"),
        };
        if (values.Length is 0 or > 201) throw new NablaException($"dz: 1 to 201 values, got {values.Length}");
        if (values.Any(v => !double.IsFinite(v) || Math.Abs(v) > 100)) throw new NablaException("dz: each Δz must be a finite number between −100 and 100");
        return values;
    }

    private void MapPage(WebApplication app)
    {
        var assembly = typeof(StudioServer).Assembly;
        var resources = assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal))
            .ToDictionary(n => n["wwwroot".Length..], n => n);
        app.MapGet("/{**path}", async (HttpContext context, string? path) =>
        {
            string key = "/" + (string.IsNullOrEmpty(path) ? "index.html" : path == "favicon.ico" ? "favicon.svg" : path);
            // Only the embedded files: the path names a resource, never a file on disk.
            if (!resources.TryGetValue(key, out var name))
                throw new StatusException(StatusCodes.Status404NotFound, key.StartsWith("/api/", StringComparison.Ordinal)
                    ? $"no endpoint {context.Request.Method} {Truncate(key)}" : $"no page {Truncate(key)}");
            context.Response.ContentType = ContentType(key);
            await using var stream = assembly.GetManifestResourceStream(name)!;
            await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
    }

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".txt" or ".md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
}

/// <summary>A request error with its HTTP status and a one-line message.</summary>
internal sealed class StatusException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
