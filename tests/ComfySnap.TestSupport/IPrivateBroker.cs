using ComfySnap.ServiceDefaults.RabbitMq;

namespace ComfySnap.TestSupport;

/// <summary>A broker of the test's own (one node or a cluster), as the worker harness connects to it.</summary>
public interface IPrivateBroker
{
    /// <summary>An amqp:// URI with the credentials, to a node that is up (queue clean-up).</summary>
    string RabbitMqUri { get; }

    /// <summary>The broker as the programs' shared RabbitMQ set-up takes it (for client buses).</summary>
    RabbitMqOptions Broker();

    /// <summary>The worker's Bus:RabbitMq settings for this broker.</summary>
    Dictionary<string, string?> RabbitMqSettings();
}
