// Copied from the project's peer baselines (shared/peers/torchsharp, measured in shared/peers/RESULTS.md: TorchSharp-cpu
// 0.107.0, whose libtorch links oneMKL statically). Built and run only by bench/compare --mkl. Added since: --recipe practitioner
// (ReLU hidden layers with dropout, softmax outputs with the cross-entropy loss, Adam with weight decay λ/50,000, as
// bench/peers/torch_recipe.py), with --dropout and --lambda; the chapter's recipe below is unchanged.
// TorchSharp peer: same model and training loop as torch_mlp.py.
// nn.Linear layers with N(0,1) weight+bias init, sigmoid after every layer,
// loss = 0.5*((a-y)^2).sum(1).mean(), torch.optim.SGD(lr=eta), data pre-loaded
// as float32 tensors, per-epoch randperm of the whole training set (counted in
// the epoch time), contiguous mini-batch slices. Evaluation is not timed.
//
// Usage: dotnet run -c Release -- [--sizes 784,30,10] [--epochs 5] [--batch 10]
//        [--eta 3.0] [--seed 0] [--threads 2] [--n-train 50000]
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

static class Program
{
    const string DataDir = "/usr/share/datasets/fashion-mnist";

    static byte[] ReadIdx(string name, out int[] dims)
    {
        using var fs = File.OpenRead(Path.Combine(DataDir, name));
        using var gz = new GZipStream(fs, CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        var data = ms.ToArray();
        int ndim = data[3];
        dims = new int[ndim];
        for (int i = 0; i < ndim; i++)
            dims[i] = (data[4 + 4 * i] << 24) | (data[5 + 4 * i] << 16) | (data[6 + 4 * i] << 8) | data[7 + 4 * i];
        return data[(4 + 4 * ndim)..];
    }

    static (Tensor x, Tensor yInt) Load(string img, string lbl, int n)
    {
        var px = ReadIdx(img, out var dims);
        var lb = ReadIdx(lbl, out _);
        n = Math.Min(n, dims[0]);
        var xf = new float[n * 784];
        for (int i = 0; i < xf.Length; i++) xf[i] = px[i] / 255.0f;
        var yl = new long[n];
        for (int i = 0; i < n; i++) yl[i] = lb[i];
        return (torch.tensor(xf, new long[] { n, 784 }), torch.tensor(yl));
    }

    static int Main(string[] argv)
    {
        string sizesS = "784,30,10", recipe = "chapter"; int epochs = 5, batch = 10, seed = 0, threads = 2, nTrain = 50000; double eta = 3.0, dropout = 0.3, lambda = 1.0;
        for (int i = 0; i < argv.Length; i += 2)
        {
            var v = argv[i + 1];
            switch (argv[i])
            {
                case "--sizes": sizesS = v; break;
                case "--epochs": epochs = int.Parse(v); break;
                case "--batch": batch = int.Parse(v); break;
                case "--eta": eta = double.Parse(v, CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(v); break;
                case "--threads": threads = int.Parse(v); break;
                case "--n-train": nTrain = int.Parse(v); break;
                case "--recipe": recipe = v; break;
                case "--dropout": dropout = double.Parse(v, CultureInfo.InvariantCulture); break;
                case "--lambda": lambda = double.Parse(v, CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine("unknown arg " + argv[i]); return 2;
            }
        }
        var sizes = sizesS.Split(',').Select(int.Parse).ToArray();
        torch.set_num_threads(threads);
        torch.manual_seed(seed);
        Console.WriteLine($"TorchSharp {typeof(torch).Assembly.GetName().Version}, threads={torch.get_num_threads()}, interop={torch.get_num_interop_threads()}");

        var (Xtr, ytrInt) = Load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", nTrain);
        var Ytr = functional.one_hot(ytrInt, 10).to(ScalarType.Float32);
        var (Xte, Yte) = Load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000);
        long n = Xtr.shape[0];

        bool practitioner = recipe == "practitioner";
        var mods = new List<(string, Module<Tensor, Tensor>)>();
        for (int l = 0; l < sizes.Length - 1; l++)
        {
            var lin = Linear(sizes[l], sizes[l + 1]);
            if (practitioner)
            {
                mods.Add(($"lin{l}", lin));
                if (l < sizes.Length - 2) { mods.Add(($"relu{l}", ReLU())); mods.Add(($"drop{l}", Dropout(dropout))); }
                continue;
            }
            init.normal_(lin.weight, 0.0, 1.0);
            init.normal_(lin.bias, 0.0, 1.0);
            mods.Add(($"lin{l}", lin));
            mods.Add(($"sig{l}", Sigmoid()));
        }
        var model = Sequential(mods);
        torch.optim.Optimizer opt = practitioner
            ? torch.optim.Adam(model.parameters(), eta, weight_decay: lambda / 50000)
            : torch.optim.SGD(model.parameters(), eta);

        double Evaluate()
        {
            using var scope = torch.NewDisposeScope();
            using var ng = torch.no_grad();
            model.eval();
            return model.forward(Xte).argmax(1).eq(Yte).to(ScalarType.Float32).mean().item<float>();
        }

        var times = new List<double>();
        var accs = new List<double>();
        var sw = new Stopwatch();
        for (int ep = 0; ep < epochs; ep++)
        {
            sw.Restart();
            model.train();
            using (var epScope = torch.NewDisposeScope())
            {
                var perm = torch.randperm(n);
                var Xp = Xtr.index_select(0, perm);
                var Yp = practitioner ? ytrInt.index_select(0, perm) : Ytr.index_select(0, perm);
                for (long k = 0; k < n; k += batch)
                {
                    using var scope = torch.NewDisposeScope();
                    long mb = Math.Min(batch, n - k);
                    var xb = Xp.narrow(0, k, mb);
                    var yb = Yp.narrow(0, k, mb);
                    var a = model.forward(xb);
                    var loss = practitioner ? functional.cross_entropy(a, yb) : 0.5 * (a - yb).pow(2).sum(1).mean();
                    opt.zero_grad();
                    loss.backward();
                    opt.step();
                }
            }
            sw.Stop();
            double t = sw.Elapsed.TotalSeconds;
            times.Add(t);
            double acc = Evaluate();
            accs.Add(acc);
            Console.WriteLine($"Epoch {ep}: test acc {acc.ToString("F4", CultureInfo.InvariantCulture)}  (train {t.ToString("F3", CultureInfo.InvariantCulture)} s)");
        }
        string J(IEnumerable<double> xs) => "[" + string.Join(", ", xs.Select(x => x.ToString("R", CultureInfo.InvariantCulture))) + "]";
        Console.WriteLine("RESULT {\"peer\": \"torchsharp\", \"recipe\": \"" + recipe + "\", \"sizes\": [" + string.Join(", ", sizes) + "], \"batch\": " + batch +
            ", \"eta\": " + eta.ToString(CultureInfo.InvariantCulture) + ", \"n_train\": " + n + ", \"seed\": " + seed +
            ", \"threads\": " + torch.get_num_threads() +
            ", \"epoch_train_s\": " + J(times) + ", \"epoch_s_extrapolated_to_50000\": " + J(times.Select(x => x * 50000.0 / n)) +
            ", \"test_acc\": " + J(accs) + "}");
        return 0;
    }
}
