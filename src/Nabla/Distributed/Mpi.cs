using System.Numerics;
using System.Runtime.InteropServices;

namespace Nabla.Distributed;

/// <summary>
/// The few MPI calls data-parallel training needs, bound at run time to Open MPI's <c>libmpi.so.40</c> (Debian's
/// <c>libopenmpi3</c>): nothing of MPI is needed to build Nabla or to run it on one machine, and the library is loaded
/// only when a distributed run starts. Open MPI's predefined handles (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>,
/// <c>MPI_SUM</c>, …) are the addresses of exported symbols (<c>ompi_mpi_comm_world</c>, …), so they are looked up
/// with <see cref="NativeLibrary.GetExport"/>; MPICH and its relatives use another binary interface and are not supported.
/// One communicator per process (the world), used from one thread at a time. <c>NABLA_MPI_LIBRARY</c> names another
/// file to load (an Open MPI installed elsewhere, as cluster modules do).
/// </summary>
public sealed unsafe class Mpi : ICommunicator, IDisposable
{
    /// <summary>The shared library this binds to.</summary>
    public const string LibraryName = "libmpi.so.40";

    /// <summary>The environment variable that names the library to load instead of <see cref="LibraryName"/>.</summary>
    public const string LibraryVariable = "NABLA_MPI_LIBRARY";

    private const int Success = 0;
    private const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED in Open MPI's mpi.h
    private static readonly void* InPlace = (void*)1; // MPI_IN_PLACE in Open MPI's mpi.h

    private static Mpi? _instance;
    private static readonly object Gate = new();

    private readonly nint _world, _float, _double, _long, _byte, _sum, _max;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> _broadcast;
    private readonly delegate* unmanaged<nint, int> _barrier;
    private readonly delegate* unmanaged<nint, int, int> _abort;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<int, byte*, int*, int> _errorString;
    private bool _finalized;

    /// <summary>This process's rank in the world, 0 … <see cref="Size"/> − 1.</summary>
    public int Rank { get; }
    /// <summary>The number of processes in the world.</summary>
    public int Size { get; }

    /// <summary>
    /// True when this process was started by Open MPI's <c>mpirun</c>/<c>mpiexec</c> (it sets <c>OMPI_COMM_WORLD_SIZE</c>),
    /// whether or not MPI is initialised yet.
    /// </summary>
    public static bool LaunchedByMpirun => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;

    /// <summary>
    /// Initialises MPI for this process (once; later calls return the same object). Throws a
    /// <see cref="NablaException"/> with one line when Open MPI cannot be loaded, saying what to install.
    /// </summary>
    public static Mpi Initialize()
    {
        lock (Gate)
        {
            if (_instance is { } existing)
                return existing._finalized ? throw new NablaException("MPI was finalised in this process, and MPI cannot be initialised twice") : existing;
            string name = Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } chosen ? chosen : LibraryName;
            if (!NativeLibrary.TryLoad(name, typeof(Mpi).Assembly, DllImportSearchPath.SafeDirectories, out nint library) &&
                !NativeLibrary.TryLoad(name, out library))
                throw new NablaException($"distributed training needs Open MPI, and {name} could not be loaded: install Open MPI (Debian: apt-get install openmpi-bin) " +
                                         $"and start the job with mpirun ({LibraryVariable} names the library when it is elsewhere)");
            return _instance = new Mpi(library, name);
        }
    }

    private Mpi(nint library, string libraryName)
    {
        nint Export(string name) => NativeLibrary.TryGetExport(library, name, out nint address)
            ? address
            : throw new NablaException($"{libraryName} has no symbol {name}: Nabla binds to Open MPI 4 or later (Debian's openmpi-bin); other MPI libraries use another interface");
        _world = Export("ompi_mpi_comm_world");
        _float = Export("ompi_mpi_float");
        _double = Export("ompi_mpi_double");
        _long = Export("ompi_mpi_long_long_int");
        _byte = Export("ompi_mpi_byte");
        _sum = Export("ompi_mpi_op_sum");
        _max = Export("ompi_mpi_op_max");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        _broadcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        _barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        _abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        _errorString = (delegate* unmanaged<int, byte*, int*, int>)Export("MPI_Error_string");
        var initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        var init = (delegate* unmanaged<int*, nint, int, int*, int>)Export("MPI_Init_thread");
        var rank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        var size = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");

        int flag, provided, r, s;
        Check(initialized(&flag), "MPI_Initialized");
        // SERIALIZED: the training thread makes every call, but it need not be the thread that loaded the library.
        if (flag == 0)
        {
            Check(init(null, 0, ThreadSerialized, &provided), "MPI_Init_thread");
            if (provided < ThreadSerialized)
                throw new NablaException($"{libraryName} gives thread level {provided}; Nabla needs MPI_THREAD_SERIALIZED (calls from any one thread at a time)");
        }
        Check(rank(_world, &r), "MPI_Comm_rank");
        Check(size(_world, &s), "MPI_Comm_size");
        (Rank, Size) = (r, s);
    }

    /// <summary>Replaces every rank's <paramref name="buffer"/> by the element-wise sum over all ranks, in place: one MPI_Allreduce.</summary>
    public void AllReduceSum<T>(Span<T> buffer) where T : unmanaged, INumber<T> => AllReduce(buffer, _sum);

    /// <summary>Replaces every rank's <paramref name="buffer"/> by the element-wise maximum over all ranks.</summary>
    public void AllReduceMax<T>(Span<T> buffer) where T : unmanaged, INumber<T> => AllReduce(buffer, _max);

    private void AllReduce<T>(Span<T> buffer, nint op) where T : unmanaged, INumber<T>
    {
        CheckOpen();
        if (buffer.IsEmpty) return;
        fixed (T* p = buffer)
            Check(_allreduce(InPlace, p, buffer.Length, DataType<T>(), op, _world), "MPI_Allreduce");
    }

    /// <summary>Copies rank <paramref name="root"/>'s bytes into every other rank's <paramref name="buffer"/> (same length on every rank).</summary>
    public void Broadcast(Span<byte> buffer, int root = 0)
    {
        CheckOpen();
        fixed (byte* p = buffer)
            Check(_broadcast(p, buffer.Length, _byte, root, _world), "MPI_Bcast");
    }

    /// <summary>Waits until every rank has called it.</summary>
    public void Barrier()
    {
        CheckOpen();
        Check(_barrier(_world), "MPI_Barrier");
    }

    /// <summary>Ends every process of the job with <paramref name="exitCode"/> (MPI_Abort): for an error one rank found that the others cannot know.</summary>
    public void Abort(int exitCode)
    {
        CheckOpen();
        _abort(_world, exitCode);
    }

    /// <summary>MPI_Finalize; afterwards no call may be made (MPI cannot be initialised twice in a process).</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        _finalize();
    }

    private nint DataType<T>() =>
        typeof(T) == typeof(float) ? _float :
        typeof(T) == typeof(double) ? _double :
        typeof(T) == typeof(long) ? _long :
        throw new NotSupportedException($"no MPI data type for {typeof(T).Name}");

    private void CheckOpen()
    {
        if (_finalized) throw new ObjectDisposedException(nameof(Mpi), "MPI was finalised");
    }

    private void Check(int code, string call)
    {
        if (code == Success) return;
        var text = new byte[512];
        int length = 0;
        fixed (byte* p = text)
            if (_errorString is not null && _errorString(code, p, &length) == Success)
                throw new NablaException($"{call} failed on rank {Rank}: {System.Text.Encoding.ASCII.GetString(text, 0, length)}");
        throw new NablaException($"{call} failed on rank {Rank} with MPI error {code}");
    }
}
