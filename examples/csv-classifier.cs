#:project ../src/Nabla/Nabla.csproj
#:project ../src/Nabla.Data/Nabla.Data.csproj
// A classifier from a CSV file: read the table, split it (seeded, stratified), learn the preprocessing on the training rows,
// train ReLU + softmax with Adam, report per-class precision and recall, and save a model file that carries its preprocessing.
//   dotnet run examples/csv-classifier.cs [TABLE.csv TARGET] [MODEL]     (default: data/tables/wine.csv, cultivar)
using Nabla;
using Nabla.Data;

string root = Path.GetFullPath(Path.Combine((string)AppContext.GetData("EntryPointFileDirectoryPath")!, ".."));
string file = args.Length >= 2 ? args[0] : Path.Combine(root, "data", "tables", "wine.csv");
string target = args.Length >= 2 ? args[1] : "cultivar";
string model = args.Length >= 3 ? args[2] : Path.Combine(Path.GetTempPath(), "nabla-examples", "classifier.safetensors");

var table = TableReader.Read(file);
var rows = TablePreprocessing.Rows(table, new TableSettings { Targets = [target] });
var parts = rows.Split([0.8, 0.2], seed: 1);                     // training, test: each class in proportion
var preprocessing = TablePreprocessing.Fit(rows, parts[0]);      // means, deviations, categories: training rows only
var training = preprocessing.ToDataset(table, parts[0]);
var test = preprocessing.ToDataset(table, parts[1]);
Console.WriteLine($"{file}: {table.RowCount} rows; {preprocessing}");

var net = new Network<float>([preprocessing.InputSize, 100, preprocessing.OutputSize], [Activation.ReLU, Activation.Softmax], Initialization.ScaledNormal, seed: 1);
var sgd = new Sgd<float>(net, Cost.LogLikelihood, eta: 0.001f, miniBatchSize: 32, seed: 1) { Optimizer = Optimizer<float>.Adam(net.Sizes) };
sgd.Train(training, epochs: 100);

var confusion = ConfusionMatrix.Of(net, test);
Console.WriteLine($"test accuracy {confusion.Accuracy:P1} ({confusion.Correct} / {confusion.Total})");
for (int c = 0; c < confusion.ClassCount; c++)
    Console.WriteLine($"  {preprocessing.Classes[c],-12} precision {confusion.Precision(c):P1}  recall {confusion.Recall(c):P1}  ({confusion.Support(c)} rows)");

Directory.CreateDirectory(Path.GetDirectoryName(model)!);
ModelFile.Save(net, Cost.LogLikelihood, model, new Dictionary<string, string> { [TablePreprocessing.MetadataKey] = preprocessing.ToJson() });
Console.WriteLine($"saved {model} (nabla predict --model {model} --input {file})");
