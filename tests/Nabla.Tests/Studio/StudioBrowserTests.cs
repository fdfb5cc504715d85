using System.Text.Json;
using Microsoft.Playwright;

namespace Nabla.Tests.Studio;

/// <summary>A [Fact] that is skipped, saying why, when Debian's chromium is not installed (.ci/run installs it).</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public BrowserFactAttribute()
    {
        if (!File.Exists(Chromium)) Skip = $"browser test skipped: Debian's chromium is not installed ({Chromium}); `apt-get install chromium` (.ci/run does)";
    }
}

/// <summary>The Studio server and one headless Chromium (Debian's, through Playwright's ExecutablePath; nothing downloaded).</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public StudioFixture Studio { get; } = new();
    public IPlaywright? Playwright { get; private set; }
    public IBrowser? Browser { get; private set; }

    public async Task InitializeAsync()
    {
        await Studio.InitializeAsync();
        if (!File.Exists(BrowserFactAttribute.Chromium)) return;
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserFactAttribute.Chromium, Headless = true, Timeout = 60_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
        await Studio.DisposeAsync();
    }
}

/// <summary>
/// The page in a real headless Chromium: it loads without a console error, trains on the sample, shows the engine's
/// BP1–BP4, the demon's chart follows Δz, Playground's spiral is learnt, a URL reproduces a setup. Each test saves a
/// screenshot of its view to docs/images/studio-*.png (the README shows them). Every wait is bounded.
/// </summary>
public class StudioBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private const float Timeout = 60_000;
    private StudioFixture Studio => fixture.Studio;

    /// <summary>
    /// Where the screenshots go: docs/images (the README's) when NABLA_STUDIO_SCREENSHOTS=docs, so that re-taking them is a
    /// choice (`NABLA_STUDIO_SCREENSHOTS=docs dotnet test … --filter StudioBrowserTests`); else a folder of the test run's own,
    /// so that a plain test run leaves the working tree as it was.
    /// </summary>
    private static readonly string Images = Environment.GetEnvironmentVariable("NABLA_STUDIO_SCREENSHOTS") == "docs"
        ? Path.Combine(Path.GetDirectoryName(TestFiles.SampleDirectory)!, "..", "docs", "images")
        : Path.Combine(Path.GetTempPath(), "nabla-studio-screenshots");

    /// <summary>A page at the view, with every console error and page error collected.</summary>
    private async Task<(IPage Page, List<string> Errors)> Open(string hash, int width = 1400, int height = 900)
    {
        var page = await fixture.Browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        page.SetDefaultTimeout(Timeout);
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        page.Response += (_, r) => { if (r.Status >= 400) errors.Add($"{r.Status} {r.Request.Method} {r.Url}"); };
        await page.GotoAsync(new Uri(Studio.BaseAddress, "/" + hash).ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        return (page, errors);
    }

    private static async Task Screenshot(IPage page, string name, bool fullPage = false)
    {
        Directory.CreateDirectory(Images);
        string path = Path.Combine(Images, $"studio-{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage });
        Assert.True(new FileInfo(path).Length > 10_000, $"the screenshot {path} is nearly empty");
    }

    private async Task TrainFinished(string options)
    {
        await Studio.StopRun();
        var a = await Studio.Post("/api/runs", options);
        Assert.True(a.Status == System.Net.HttpStatusCode.Accepted, a.Body);
        await Studio.WaitForRun(r => r.GetProperty("state").GetString() == "finished", 120);
    }

    [BrowserFact]
    public async Task A_run_on_the_sample_draws_its_curve_and_ends_above_60_percent()
    {
        await Studio.StopRun();
        var (page, errors) = await Open("#train");
        // Chapter 3's recipe learns the sample quickly: cross-entropy, N(0, 1/n_in) weights, η = 0.5.
        await page.SelectOptionAsync("form[data-testid=train-form] [name=cost]", "cross-entropy");
        await page.SelectOptionAsync("form[data-testid=train-form] [name=init]", "scaled-normal");
        await page.FillAsync("form[data-testid=train-form] [name=eta]", "0.5");
        await page.FillAsync("form[data-testid=train-form] [name=epochs]", "5");
        await page.FillAsync("form[data-testid=train-form] [name=train_size]", "");
        await page.ClickAsync("[data-testid=train-start]");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=run-status]').textContent.includes('finished')", null, new() { Timeout = 120_000 });
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=train-log]').textContent.split('\\n').length >= 5");
        await page.WaitForFunctionAsync("() => !document.querySelector('[data-testid=train-start]').disabled"); // the view has drawn the end
        // The evaluation curve: one dot per epoch.
        int dots = await page.Locator("[data-testid=train-accuracy-chart] circle[fill='#6a3fb5']").CountAsync();
        Assert.True(dots >= 3, $"the accuracy curve has {dots} points");
        string accuracy = await page.InnerTextAsync("[data-testid=train-accuracy]");
        Assert.Matches(@"^\d+\.\d %$", accuracy);
        Assert.True(double.Parse(accuracy[..^2], System.Globalization.CultureInfo.InvariantCulture) > 60, accuracy);
        Assert.Contains("Epoch 4: ", await page.InnerTextAsync("[data-testid=train-epoch-line]"));
        Assert.Contains("fashion-mnist-sample", await page.InnerTextAsync("[data-testid=data-line]"));
        await Screenshot(page, "train");
        Assert.Empty(errors);
    }

    [BrowserFact]
    public async Task The_form_sends_the_expansion_and_the_schedules_settings_as_train_names_them()
    {
        await Studio.StopRun();
        var (page, errors) = await Open("#train");
        const string form = "form[data-testid=train-form]";
        await page.SelectOptionAsync($"{form} [name=expand]", "yes");
        await page.FillAsync($"{form} [name=expand_shift]", "2");
        await page.FillAsync($"{form} [name=expand_rotation]", "5");
        await page.SelectOptionAsync($"{form} [name=expand_mirror]", "yes");
        await page.SelectOptionAsync($"{form} [name=schedule]", "halving");
        await page.FillAsync($"{form} [name=halving_patience]", "2");
        await page.FillAsync($"{form} [name=halvings]", "3");
        await page.FillAsync($"{form} [name=early_stopping]", "4");
        await page.SelectOptionAsync($"{form} [name=validation]", "validation");
        await page.FillAsync($"{form} [name=epochs]", "1");
        await page.FillAsync($"{form} [name=train_size]", "500");
        await page.ClickAsync("[data-testid=train-start]");
        var run = await Studio.WaitForRun(r => r.GetProperty("state").GetString() == "finished", 120);
        string body = run.ToString();
        var options = run.GetProperty("options");
        Assert.True(options.GetProperty("expand").GetBoolean(), body);
        Assert.Equal(2, options.GetProperty("expand_shift").GetInt32());
        Assert.Equal(5, options.GetProperty("expand_rotation").GetDouble());
        Assert.True(options.GetProperty("expand_mirror").GetBoolean(), body);
        Assert.Equal("halving", options.GetProperty("schedule").GetString());
        Assert.Equal(2, options.GetProperty("halving_patience").GetInt32());
        Assert.Equal(3, options.GetProperty("halvings").GetInt32());
        Assert.Equal(4, options.GetProperty("early_stopping").GetInt32());
        Assert.Empty(errors);
    }

    [BrowserFact]
    public async Task The_network_view_draws_neurons_weights_and_first_layer_tiles()
    {
        await TrainFinished("""{"layers":[784,30,10],"epochs":3,"train_size":4000}""");
        var (page, errors) = await Open("#network");
        await page.WaitForSelectorAsync("[data-testid=network-diagram]");
        await page.WaitForSelectorAsync("[data-testid=weight-tiles] canvas");
        Assert.Equal(30, await page.Locator("[data-testid=weight-tiles] canvas").CountAsync());
        Assert.True(await page.Locator("[data-testid=network-diagram] line").CountAsync() >= 300, "30×10 weight lines between layers 1 and 2");
        await Screenshot(page, "network", fullPage: true);
        await page.SelectOptionAsync("[data-testid=network-mode]", "delta");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=network-info]').textContent.includes('no δ')");
        Assert.Empty(errors);
    }

    [BrowserFact]
    public async Task The_step_by_step_view_shows_BP1_to_BP4_with_the_engines_values()
    {
        await TrainFinished("""{"layers":[784,30,10],"epochs":2,"train_size":3000}""");
        var (page, errors) = await Open("#backprop");
        await page.FillAsync("#view-backprop [data-testid=example-index]", "11");
        await page.DispatchEventAsync("#view-backprop [data-testid=example-index]", "change");
        await page.WaitForFunctionAsync("() => document.querySelector('#view-backprop').dataset.example === '11'");
        for (int s = 1; s <= 5; s++) Assert.Equal(1, await page.Locator($"[data-testid=bp-step][data-step='{s}']").CountAsync());
        Assert.Contains("BP1", await page.InnerTextAsync("[data-testid=bp-step][data-step='3']"));
        Assert.Contains("BP2", await page.InnerTextAsync("[data-testid=bp-step][data-step='4']"));
        Assert.Contains("BP3", await page.InnerTextAsync("[data-testid=bp-step][data-step='5']"));
        Assert.Contains("BP4", await page.InnerTextAsync("[data-testid=bp-step][data-step='5']"));

        // What the page drew, against the API and against the engine itself.
        var api = (await Studio.Post("/api/backprop", """{"example":11}""")).Json;
        var network = Studio.Server.Host.Current!.Snapshot.Network;
        var (x, y, _) = Nabla.Studio.Engine.Probe.Example(Studio.Data.Mnist.Test, 11);
        var gradient = network.Backprop(x, y, Cost.Quadratic);
        var shown = await page.EvalOnSelectorAllAsync<string[][]>("[data-testid=bp-step] [data-testid=bp-vector]", "els => els.map(e => [e.dataset.name, e.dataset.values])");
        var byName = shown.GroupBy(v => v[0]).ToDictionary(g => g.Key, g => g.First()[1]);
        void Same(string name, IReadOnlyList<double> engine, JsonElement fromApi)
        {
            Assert.True(byName.ContainsKey(name), $"the page shows no {name}");
            var values = JsonSerializer.Deserialize<double[]>(byName[name])!;
            Assert.Equal(engine.Count, values.Length);
            for (int i = 0; i < values.Length; i++)
            {
                Assert.Equal(engine[i], values[i], 1e-12);
                Assert.Equal(fromApi[i].GetDouble(), values[i], 1e-12);
            }
        }
        var layers = api.GetProperty("layers");
        Same("δ2", gradient.Biases[2], layers[1].GetProperty("delta"));                 // BP1
        Same("δ1", gradient.Biases[1], layers[0].GetProperty("delta"));                 // BP2
        Same("∂C/∂b1", gradient.Biases[1], layers[0].GetProperty("dc_db"));             // BP3
        Same("∂C/∂b2", gradient.Biases[2], layers[1].GetProperty("dc_db"));
        Same("σ'(z1)", layers[0].GetProperty("sigma_prime").EnumerateArray().Select(e => e.GetDouble()).ToArray(), layers[0].GetProperty("sigma_prime"));
        Same("z2", network.Forward(x).WeightedInput(2).ToArray(), layers[1].GetProperty("z"));
        Same("∇aC", api.GetProperty("cost_gradient").EnumerateArray().Select(e => e.GetDouble()).ToArray(), api.GetProperty("cost_gradient"));
        // BP4 is drawn as images: the first tile's neuron j has the largest |δ¹_j|; its values come from dc_dw, equal to the engine's.
        var dw = layers[0].GetProperty("dc_dw");
        for (int j = 0; j < 30; j++)
            for (int k = 0; k < 784; k += 97) Assert.Equal(gradient.Weights[1][j, k], dw[j][k].GetDouble(), 1e-12);
        Assert.True(await page.Locator("[data-testid=bp4-tiles] canvas").CountAsync() >= 1);

        await page.ClickAsync("[data-testid=gradcheck-run]");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=gradcheck-result]').dataset.passed !== undefined", null, new() { Timeout = 120_000 });
        Assert.Equal("true", await page.GetAttributeAsync("[data-testid=gradcheck-result]", "data-passed"));
        Assert.Contains("23,861", await page.InnerTextAsync("[data-testid=gradcheck-result]"));
        await Screenshot(page, "backprop", fullPage: true);
        Assert.Empty(errors);
    }

    [BrowserFact]
    public async Task The_demon_chart_follows_dz()
    {
        await TrainFinished("""{"layers":[784,30,10],"epochs":1,"train_size":2000}""");
        var (page, errors) = await Open("#demon");
        await page.WaitForSelectorAsync("[data-testid=demon-chart] svg path");
        string Chart() => "() => { const c = document.querySelector('[data-testid=demon-chart]'); return c.dataset.dz + '|' + c.dataset.measured + '|' + c.innerHTML.length; }";
        await page.SelectOptionAsync("[data-testid=demon-layer]", "2");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=demon-readout]').textContent.includes('δ2')");
        string before = await page.EvaluateAsync<string>(Chart());
        await page.EvalOnSelectorAsync("[data-testid=demon-dz]", "e => { e.value = '-2'; e.dispatchEvent(new Event('input')); }");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=demon-chart]').dataset.dz === '-2'");
        string after = await page.EvaluateAsync<string>(Chart());
        Assert.NotEqual(before, after);
        // The marked point is the engine's: Demon.Experiment at Δz = −2.
        string neuron = await page.InputValueAsync("[data-testid=demon-neuron]");
        var api = (await Studio.Post("/api/demon", $$"""{"example":0,"layer":2,"neuron":{{neuron}},"dz":[-2]}""")).Json.GetProperty("points")[0];
        Assert.Equal(api.GetProperty("measured_dC").GetDouble(), double.Parse(await page.GetAttributeAsync("[data-testid=demon-chart]", "data-measured") ?? "", System.Globalization.CultureInfo.InvariantCulture), 1e-12);
        await page.EvalOnSelectorAsync("[data-testid=demon-dz]", "e => { e.value = '0.5'; e.dispatchEvent(new Event('input')); }");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=demon-chart]').dataset.dz === '0.5'");
        await Screenshot(page, "demon");
        Assert.Empty(errors);
    }

    [BrowserFact]
    public async Task Slowdown_and_results_views_draw_the_engines_figures()
    {
        await Studio.StopRun();
        var (page, errors) = await Open("#train");
        await page.FillAsync("form[data-testid=train-form] [name=epochs]", "4");
        await page.FillAsync("form[data-testid=train-form] [name=train_size]", "6000");
        await page.ClickAsync("[data-testid=train-start]");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=run-status]').textContent.includes('finished')", null, new() { Timeout = 120_000 });
        await page.GotoAsync(new Uri(Studio.BaseAddress, "/#slowdown").ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.ClickAsync("[data-testid=slowdown-run]");
        await page.WaitForSelectorAsync("[data-testid=slowdown-chart] path", new() { Timeout = 120_000 });
        Assert.True(await page.Locator("[data-testid=slowdown-chart] path").CountAsync() >= 4, "2 costs × 2 layers");
        await Screenshot(page, "slowdown", fullPage: true);

        await page.GotoAsync(new Uri(Studio.BaseAddress, "/#results").ToString());
        await page.WaitForSelectorAsync("[data-testid=mistake] canvas");
        var cells = await page.EvalOnSelectorAllAsync<int[]>("table.confusion td", "tds => tds.map(t => Number(t.textContent))");
        Assert.Equal(100, cells.Length);
        Assert.Equal(2000, cells.Sum());
        var api = (await Studio.Post("/api/results", "{}")).Json;
        Assert.Equal(api.GetProperty("confusion").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetInt32())).ToArray(), cells);
        await Screenshot(page, "results");
        Assert.Empty(errors);
    }

    private const string Spiral = "#playground?data=spiral&noise=0&ratio=50&points=500&features=x1,x2,sin(x1),sin(x2)&hidden=8,8&activation=tanh&eta=0.01&batch=10&epochs=300&optimizer=adam&seed=1";

    private static async Task<string> TrainPlayground(IPage page)
    {
        string before = await page.EvaluateAsync<string>("() => document.querySelector('#view-playground').dataset.run || ''");
        await page.ClickAsync("[data-testid=pg-train]");
        await page.WaitForFunctionAsync("before => { const v = document.querySelector('#view-playground').dataset; return v.run !== before && v.state === 'finished'; }",
            before, new() { Timeout = 120_000 });
        return await page.InnerTextAsync("[data-testid=playground-accuracy]");
    }

    [BrowserFact]
    public async Task Playground_learns_the_spiral()
    {
        await Studio.StopRun();
        var (page, errors) = await Open(Spiral);
        string accuracy = await TrainPlayground(page);
        Assert.True(double.Parse(accuracy[..^2], System.Globalization.CultureInfo.InvariantCulture) >= 90, $"training accuracy on the spiral: {accuracy}");
        Assert.True(await page.Locator("[data-testid=pg-network] canvas").CountAsync() >= 4 + 8 + 8 + 2);
        await Screenshot(page, "playground");

        // Every other view works on the Playground network too.
        foreach (var (view, selector) in new[] { ("network", "[data-testid=network-diagram] circle"), ("backprop", "[data-testid=bp-step][data-step='5'] svg"),
                                                 ("demon", "[data-testid=demon-chart] svg path"), ("results", "table.confusion td") })
        {
            await page.GotoAsync(new Uri(Studio.BaseAddress, "/#" + view).ToString());
            await page.WaitForSelectorAsync("body[data-ready=true]");
            await page.WaitForSelectorAsync(selector);
        }
        Assert.Equal(4, await page.Locator("table.confusion td").CountAsync()); // two classes
        Assert.Empty(errors);
    }

    [BrowserFact]
    public async Task A_url_reproduces_a_playground_setup()
    {
        await Studio.StopRun();
        const string url = "#playground?data=xor&noise=10&ratio=60&points=300&features=x1,x2,x1x2&hidden=5&activation=relu&eta=0.05&batch=5&epochs=25&optimizer=momentum&seed=7";
        var (first, errors) = await Open(url);
        Assert.Equal("xor", await first.InputValueAsync("[data-testid=pg-data]"));
        Assert.Equal("5", await first.InputValueAsync("[data-testid=pg-hidden]"));
        Assert.True(await first.IsCheckedAsync("[data-feature='x1x2']"));
        Assert.False(await first.IsCheckedAsync("[data-feature='sin(x1)']"));
        string a = await TrainPlayground(first);
        var epochsA = (await Studio.Get("/api/runs/current")).Json.GetProperty("history").GetProperty("epochs");
        double costA = epochsA[epochsA.GetArrayLength() - 1].GetProperty("training_cost").GetDouble();

        var (second, errors2) = await Open(url);
        Assert.Equal("relu", await second.InputValueAsync("[data-testid=pg-activation]"));
        string b = await TrainPlayground(second);
        var epochsB = (await Studio.Get("/api/runs/current")).Json.GetProperty("history").GetProperty("epochs");
        Assert.Equal(a, b);
        Assert.Equal(costA, epochsB[epochsB.GetArrayLength() - 1].GetProperty("training_cost").GetDouble()); // the same seed, the same run
        Assert.Empty(errors);
        Assert.Empty(errors2);
    }
}
