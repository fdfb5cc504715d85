using System.Numerics;
using System.Runtime.InteropServices;

namespace Nabla;

/// <summary>
/// Writes a network as an ONNX model (opset 13): for each layer l a Gemm node, z^l = a^(l−1) (w^l)ᵀ + b^l
/// (transB = 1, so w^l is stored as Nabla holds it, n_l × n_(l−1)), then its activation node (Sigmoid,
/// Tanh, Relu, Softplus, Softmax over the last axis, Identity). Input "input" is [N, n_0] float, output
/// "output" is [N, n_L] float; weights are stored as float32. The protobuf is written by hand
/// (<see cref="ProtobufWriter"/>), with only the messages and fields this graph uses.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the graph imports (default domain).</summary>
    public const int Opset = 13;
    /// <summary>The ONNX IR version written: the one that goes with opset 13.</summary>
    public const long IrVersion = 7;
    /// <summary>The graph's input, [N, n_0] float.</summary>
    public const string InputName = "input";
    /// <summary>The graph's output, [N, n_L] float.</summary>
    public const string OutputName = "output";

    // onnx.proto field numbers, per message.
    private static class Model { public const int IrVersion = 1, ProducerName = 2, ProducerVersion = 3, Graph = 7, OpsetImport = 8; }
    private static class OperatorSetId { public const int Domain = 1, Version = 2; }
    private static class Graph { public const int Node = 1, Name = 2, Initializer = 5, Input = 11, Output = 12; }
    private static class Node { public const int Input = 1, Output = 2, Name = 3, OpType = 4, Attribute = 5; }
    private static class Attribute { public const int Name = 1, I = 3, Type = 20; public const int TypeInt = 2; }
    private static class Tensor { public const int Dims = 1, DataType = 2, Name = 8, RawData = 9; public const int Float = 1; }
    private static class ValueInfo { public const int Name = 1, Type = 2; }
    private static class TypeProto { public const int TensorType = 1; }
    private static class TensorTypeProto { public const int ElemType = 1, Shape = 2; }
    private static class Shape { public const int Dim = 1; }
    private static class Dimension { public const int DimValue = 1, DimParam = 2; }

    /// <summary>The ONNX operator for each activation Nabla can export.</summary>
    public static string OperatorFor(Activation activation) => activation switch
    {
        SigmoidActivation => "Sigmoid",
        TanhActivation => "Tanh",
        ReLUActivation => "Relu",
        SoftplusActivation => "Softplus",
        SoftmaxActivation => "Softmax",
        IdentityActivation => "Identity",
        _ => throw new NablaException($"activation '{activation.Name}' has no ONNX operator; exportable: sigmoid, tanh, relu, softplus, softmax, identity"),
    };

    /// <summary>The serialized ModelProto.</summary>
    public static byte[] ToBytes<T>(Network<T> network) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var graph = new ProtobufWriter().String(Graph.Name, "nabla");
        string previous = InputName;
        for (int l = 1; l <= network.L; l++)
        {
            string weight = $"w{l}", bias = $"b{l}", z = $"z{l}", a = l == network.L ? OutputName : $"a{l}";
            graph.Message(Graph.Initializer, TensorMessage(weight, [network.Sizes[l], network.Sizes[l - 1]], network.Weights[l].Data));
            graph.Message(Graph.Initializer, TensorMessage(bias, [network.Sizes[l]], network.Biases[l]));
            // Eq. 25 for a batch of rows: Z = A (w^l)ᵀ + b^l
            graph.Message(Graph.Node, n => n.String(Node.Input, previous).String(Node.Input, weight).String(Node.Input, bias)
                .String(Node.Output, z).String(Node.Name, $"gemm{l}").String(Node.OpType, "Gemm")
                .Message(Node.Attribute, at => at.String(Attribute.Name, "transB").Int(Attribute.I, 1).Int(Attribute.Type, Attribute.TypeInt)));
            string op = OperatorFor(network.Activations[l]);
            graph.Message(Graph.Node, n =>
            {
                n.String(Node.Input, z).String(Node.Output, a).String(Node.Name, $"{op.ToLowerInvariant()}{l}").String(Node.OpType, op);
                if (op == "Softmax")
                    n.Message(Node.Attribute, at => at.String(Attribute.Name, "axis").Int(Attribute.I, -1).Int(Attribute.Type, Attribute.TypeInt));
            });
            previous = a;
        }
        graph.Message(Graph.Input, ValueInfoMessage(InputName, network.Sizes[0]));
        graph.Message(Graph.Output, ValueInfoMessage(OutputName, network.Sizes[^1]));

        return new ProtobufWriter()
            .Int(Model.IrVersion, IrVersion)
            .String(Model.ProducerName, "nabla")
            .String(Model.ProducerVersion, typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0")
            .Message(Model.Graph, graph)
            .Message(Model.OpsetImport, o => o.String(OperatorSetId.Domain, "").Int(OperatorSetId.Version, Opset))
            .ToArray();
    }

    /// <summary>Writes the ONNX file atomically (temporary file, flush, rename).</summary>
    public static void Save<T>(Network<T> network, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory)) throw new NablaException($"{path}: cannot write: directory {directory} does not exist");
        Checkpoint.WriteAtomically(path, ToBytes(network));
    }

    private static ProtobufWriter TensorMessage<T>(string name, long[] dims, ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var singles = new float[values.Length];
        for (int i = 0; i < values.Length; i++) singles[i] = float.CreateChecked(values[i]);
        var tensor = new ProtobufWriter();
        foreach (long d in dims) tensor.Int(Tensor.Dims, d);
        // raw_data is little-endian, as .NET's floats are on every platform it runs on.
        return tensor.Int(Tensor.DataType, Tensor.Float).String(Tensor.Name, name).Bytes(Tensor.RawData, MemoryMarshal.AsBytes(singles.AsSpan()));
    }

    /// <summary>A float tensor of shape [N, <paramref name="width"/>], N symbolic.</summary>
    private static ProtobufWriter ValueInfoMessage(string name, int width) =>
        new ProtobufWriter().String(ValueInfo.Name, name).Message(ValueInfo.Type, type => type.Message(TypeProto.TensorType, tensor => tensor
            .Int(TensorTypeProto.ElemType, Tensor.Float)
            .Message(TensorTypeProto.Shape, shape => shape
                .Message(Shape.Dim, d => d.String(Dimension.DimParam, "N"))
                .Message(Shape.Dim, d => d.Int(Dimension.DimValue, width)))));
}
