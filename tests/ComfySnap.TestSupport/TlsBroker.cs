using System.Globalization;

namespace ComfySnap.TestSupport;

/// <summary>
/// A private RabbitMQ + Redis pair (<see cref="PrivateServices"/>) whose broker also has an amqps
/// listener with a certificate that a CA made here signed (<see cref="TestCertificates"/>). The
/// shared broker has no TLS listener and is left alone.
/// </summary>
public sealed class TlsBroker : IAsyncDisposable
{
    private readonly string _root;

    private TlsBroker(string root, PrivateServices services, TestCertificates certificates, int tlsPort)
    {
        _root = root;
        Services = services;
        Certificates = certificates;
        TlsPort = tlsPort;
    }

    public PrivateServices Services { get; }

    /// <summary>ServerCa signed the broker's certificate (CN=localhost); OtherCa did not.</summary>
    public TestCertificates Certificates { get; }

    public int TlsPort { get; }

    public static async Task<TlsBroker> StartAsync(CancellationToken ct)
    {
        var root = TestEnvironment.NewTempDirectory("tls");
        var ports = FreePorts.Take(5);
        var tlsDir = Path.Combine(root, "services", "rabbitmq", "tls"); // under the folder services.sh hands to the broker's user
        Directory.CreateDirectory(tlsDir);
        var certificates = TestCertificates.Write(tlsDir);
        var extraConf = Path.Combine(root, "tls.conf");
        await File.WriteAllTextAsync(extraConf, string.Join('\n',
            $"listeners.ssl.default = 127.0.0.1:{ports[4].ToString(CultureInfo.InvariantCulture)}",
            $"ssl_options.cacertfile = {certificates.ServerCa}",
            $"ssl_options.certfile = {certificates.ServerCertificate}",
            $"ssl_options.keyfile = {certificates.ServerKey}",
            "ssl_options.verify = verify_none",
            "ssl_options.fail_if_no_peer_cert = false",
            ""), ct);
        var services = new PrivateServices(Path.Combine(root, "services"), $"tls-{Guid.NewGuid():N}"[..14] + "@localhost", ports[0], ports[1], ports[2], ports[3])
        {
            ExtraRabbitMqConf = extraConf,
        };
        var broker = new TlsBroker(root, services, certificates, ports[4]);
        try
        {
            await services.StartAsync(ct);
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }

        return broker;
    }

    /// <summary>The broker settings of a program on the amqps listener, trusting <paramref name="caFile"/>.</summary>
    public Dictionary<string, string?> TlsSettings(string caFile)
    {
        var settings = Services.RabbitMqSettings();
        settings["Bus:RabbitMq:Port"] = TlsPort.ToString(CultureInfo.InvariantCulture);
        settings["Bus:RabbitMq:UseTls"] = "true";
        settings["Bus:RabbitMq:TlsServerName"] = "localhost";
        settings["Bus:RabbitMq:TlsCaFile"] = caFile;
        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.StopAsync(CancellationToken.None);
        Directory.Delete(_root, recursive: true);
    }
}
