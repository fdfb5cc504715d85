#:project ../src/Nabla/Nabla.csproj
// The chapter's network: [784, 30, 10] sigmoid neurons, quadratic cost, mini-batch SGD with η = 3 and m = 10, on Fashion-MNIST
// (Debian's dataset-fashion-mnist when installed, else the sample that ships in data/). Then backprop for one example, by hand.
//   dotnet run examples/chapter2.cs [EPOCHS]        (default 3; the book runs 30)
using Nabla;
using Nabla.Data;

int epochs = args.Length > 0 ? int.Parse(args[0]) : 3;
var data = DataSource.Locate(null);
Console.WriteLine(data.Description);
var training = data.Training.Count > 10_000 && epochs < 30 ? data.Training.Slice(0, 10_000) : data.Training; // quick unless asked for the book's run
var net = new Network<float>([784, 30, 10], Activation.Sigmoid, seed: 1);
var sgd = new Sgd<float>(net, Cost.Quadratic, eta: 3.0f, miniBatchSize: 10, seed: 1);
sgd.Train(training, epochs, evaluation: data.Test, onEpoch: e => Console.WriteLine(e)); // "Epoch 0: 7012 / 2000"-style lines

// The four equations for one example (x, y), in float64: BP1-BP4 give ∂C/∂w and ∂C/∂b of every layer.
var small = new Network<double>([4, 5, 3], Activation.Tanh, seed: 2);
var (nablaB, nablaW) = small.Backprop([0.1, 0.2, 0.3, 0.4], [0, 1, 0], Cost.Quadratic);
Console.WriteLine($"∂C/∂w^2_14 = a^1_4 δ^2_1 (BP4) = {nablaW[2][1, 4]:G6}; ∂C/∂b^2_1 = δ^2_1 (BP3) = {nablaB[2][1]:G6}");
