#:project ../src/Nabla/Nabla.csproj
#:project ../src/Nabla.Data/Nabla.Data.csproj
// An application that ships a model: load it once, then predict one row at a time (no allocation per call, from any
// thread) or a whole table at once (batched through the matrix path). The model file carries its preprocessing.
//   dotnet run examples/csv-classifier.cs && dotnet run examples/predict.cs [MODEL] [TABLE.csv]
using Nabla;
using Nabla.Data;

string root = Path.GetFullPath(Path.Combine((string)AppContext.GetData("EntryPointFileDirectoryPath")!, ".."));
string model = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "nabla-examples", "classifier.safetensors");
string file = args.Length > 1 ? args[1] : Path.Combine(root, "data", "tables", "wine.csv");
if (!File.Exists(model)) { Console.Error.WriteLine($"{model} not found: run examples/csv-classifier.cs first"); return 1; }

var predictor = Predictor.Load(model);
Console.WriteLine($"{model}: {predictor.Network}; inputs {string.Join(", ", predictor.Features.Select(f => f.Name))}");

// One row, by column name, reused call after call.
var table = TableReader.Read(file);
var row = predictor.CreateRow();
foreach (var feature in predictor.Features)
{
    var column = table[feature.Name];
    if (column is NumericColumn numbers) row.Set(feature.Name, numbers.Values[0]);
    else row.Set(feature.Name, column.CellText(0));
}
var probabilities = new float[predictor.OutputSize];
int predicted = predictor.Predict(row, probabilities);
Console.WriteLine(predictor.IsClassification
    ? $"row 1: {predictor.Classes[predicted]} (p = {probabilities[predicted]:F3})"
    : $"row 1: {string.Join(", ", probabilities)}");

// The whole table, in order.
var predictions = predictor.Predict(table);
if (predictor.IsClassification)
{
    var counts = Enumerable.Range(0, predictions.Count).GroupBy(predictions.ClassName).Select(g => $"{g.Key}: {g.Count()}");
    Console.WriteLine($"{predictions.Count} rows predicted: {string.Join(", ", counts)}");
}
return 0;
