using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Nabla.Studio.Http;

/// <summary>
/// Server-Sent Events for every viewer at once. An event is serialised once and offered to each client's own small
/// queue without waiting: a slow or vanished client loses its oldest events, never slows the publisher (and so never
/// the training run), and is dropped when its connection ends.
/// </summary>
public sealed class EventHub
{
    /// <summary>Events a client may fall behind by before its oldest are dropped.</summary>
    private const int QueueLength = 256;
    private readonly object _lock = new();
    private readonly List<Channel<string>> _clients = [];

    public EventHub(int maxClients) => MaxClients = maxClients;

    /// <summary>Clients beyond this many are refused (503), so that connections cannot exhaust the server.</summary>
    public int MaxClients { get; }

    public int ClientCount
    {
        get { lock (_lock) return _clients.Count; }
    }

    /// <summary>Serialises <paramref name="payload"/> as one SSE event and queues it for every client (with none, does nothing).</summary>
    public void Publish(string type, object payload)
    {
        // A client that subscribes now is sent the run's state first (StudioServer.ServeEvents), so nothing is lost.
        if (ClientCount == 0) return;
        string message = Format(type, JsonSerializer.Serialize(payload, StudioJson.Options));
        lock (_lock)
            foreach (var client in _clients) client.Writer.TryWrite(message);
    }

    /// <summary>One SSE message: "event: TYPE\ndata: JSON\n\n".</summary>
    public static string Format(string type, string json) => new StringBuilder("event: ").Append(type).Append("\ndata: ").Append(json).Append("\n\n").ToString();

    /// <summary>A new client's queue, or null when <see cref="MaxClients"/> are connected.</summary>
    public Channel<string>? Subscribe()
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(QueueLength)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false,
        });
        lock (_lock)
        {
            if (_clients.Count >= MaxClients) return null;
            _clients.Add(channel);
        }
        return channel;
    }

    public void Unsubscribe(Channel<string> channel)
    {
        lock (_lock) _clients.Remove(channel);
        channel.Writer.TryComplete();
    }

    /// <summary>Ends every stream (server shutdown): each client's loop sees its queue complete and returns.</summary>
    public void CompleteAll()
    {
        lock (_lock)
            foreach (var client in _clients) client.Writer.TryComplete();
    }
}
