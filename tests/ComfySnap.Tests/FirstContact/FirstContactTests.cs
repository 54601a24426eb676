using System.Globalization;
using System.Text.RegularExpressions;
using ComfySnap.Tests.Gateway.Support;

namespace ComfySnap.Tests.FirstContact;

/// <summary>
/// How `worker serve` and the gateway (child processes of the real programs) end when the broker or
/// Redis refuses them or cannot be reached: one line on stderr naming the setting to change, exit
/// code 1, no stack trace and no warning or error lines in the log. Real services on loopback: the
/// shared pair, a port nobody listens on, and a private broker with an amqps listener.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FirstContactTests(FirstContactTests.Broker broker) : IClassFixture<FirstContactTests.Broker>
{
    // A cold boot and a dotnet start on a loaded 2-vCPU machine; the programs give up after 2 s.
    private static readonly TimeSpan ProgramTimeout = TimeSpan.FromSeconds(120);
    private const string GiveUpAfter = "00:00:02";

    public static TheoryData<string> Programs => ["worker", "gateway"];

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task A_refused_login_names_the_username_and_password_settings(string program)
    {
        var settings = Settings("login");
        settings["Bus:RabbitMq:Password"] = "not-" + Guid.NewGuid().ToString("N");

        var result = await RunAsync(program, settings);

        AssertOneLine(result, $"RabbitMQ at 127.0.0.1:{Port(TestEnvironment.RabbitMqPort)} refused the login for user '{TestEnvironment.RabbitMqUser}': " +
            "set Bus:RabbitMq:Username/Password (or COMFYSNAP_Bus__RabbitMq__Password_FILE)");
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task No_broker_on_the_port_names_the_host_and_port_settings(string program)
    {
        var port = FreePorts.Take(1)[0];
        var settings = Settings("nobroker");
        settings["Bus:RabbitMq:Port"] = Port(port);
        settings["Bus:RabbitMq:ConnectTimeout"] = GiveUpAfter;

        var result = await RunAsync(program, settings);

        AssertOneLine(result, $"RabbitMQ at 127.0.0.1:{Port(port)} is not reachable (Connection refused; tried for 2 s): set Bus:RabbitMq:Host/Port, or start RabbitMQ there");
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task No_redis_on_the_port_names_the_cache_setting(string program)
    {
        var port = FreePorts.Take(1)[0];
        var settings = Settings("noredis");
        settings["Cache:Redis"] = $"127.0.0.1:{Port(port)}";
        settings["Cache:RedisConnectTimeout"] = GiveUpAfter;

        var result = await RunAsync(program, settings);

        AssertOneLine(result, $"Redis at 127.0.0.1:{Port(port)} is not reachable (Connection refused; tried for 2 s): set Cache:Redis, or start Redis there");
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task A_broker_certificate_from_another_ca_names_the_ca_setting(string program)
    {
        var tls = broker.Tls;
        var settings = Settings("cert", tls.Services.RedisEndpoint);
        foreach (var (key, value) in tls.TlsSettings(tls.Certificates.OtherCa))
        {
            settings[key] = value;
        }

        var result = await RunAsync(program, settings);

        AssertOneLine(result, new Regex(
            $"^RabbitMQ at 127\\.0\\.0\\.1:{Port(tls.TlsPort)} presented a TLS certificate \\(CN=localhost\\) that was rejected: " +
            $"it does not chain to a CA in Bus:RabbitMq:TlsCaFile {Regex.Escape(tls.Certificates.OtherCa)} \\(\\w+(, \\w+)*\\)$"));
    }

    [Fact]
    public async Task The_gateway_reaches_a_broker_whose_certificate_a_private_ca_signed()
    {
        var tls = broker.Tls;
        var settings = Settings("tls-ok", tls.Services.RedisEndpoint);
        foreach (var (key, value) in tls.TlsSettings(tls.Certificates.ServerCa))
        {
            settings[key] = value;
        }

        settings["Bus:RabbitMq:Heartbeat"] = "00:00:05";

        // Starting returns once the bus is connected over amqps; it throws the first-contact line otherwise.
        await using var gateway = await GatewayInstance.StartAsync(settings);
        var queue = await gateway.GetJsonAsync("/queue");
        Assert.NotNull(queue["queue_running"]);

        // The gateway is this broker's only client: its connection negotiated the configured heartbeat.
        var timeouts = await tls.Services.RabbitMqCtlAsync(["list_connections", "--no-table-headers", "timeout"], CancellationToken.None);
        Assert.Equal(["5"], timeouts.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct());
    }

    private static Task<ProgramResult> RunAsync(string program, Dictionary<string, string?> settings) => program switch
    {
        "worker" => ProgramRun.WorkerServeAsync(settings, ProgramTimeout),
        "gateway" => ProgramRun.GatewayAsync(settings, ProgramTimeout),
        _ => throw new ArgumentOutOfRangeException(nameof(program)),
    };

    // A worker's (and gateway's) settings on the shared broker and Redis, a queue and key prefix of their own.
    private static Dictionary<string, string?> Settings(string name, string? redis = null)
    {
        var id = $"fc-{name}-{Guid.NewGuid():N}"[..24];
        var settings = WorkerSettings.OnBus(TestEnvironment.NewTempDirectory("first-contact"), id, id, TestEnvironment.RabbitMqPort, redis ?? TestEnvironment.RedisEndpoint, id + ":");
        settings["Gateway:Listen"] = "http://127.0.0.1:0";
        return settings;
    }

    private static void AssertOneLine(ProgramResult result, string expected) => AssertOneLine(result, new Regex("^" + Regex.Escape(expected) + "$"));

    private static void AssertOneLine(ProgramResult result, Regex expected)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches(expected, result.Stderr.TrimEnd('\n', '\r'));
        Assert.DoesNotContain("   at ", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\[[0-9:.]+ (WRN|ERR|FTL)\]", result.Stdout);
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The private broker with an amqps listener, started once for the class.</summary>
    public sealed class Broker : IAsyncLifetime
    {
        public TlsBroker Tls { get; private set; } = null!;

        public async Task InitializeAsync() => Tls = await TlsBroker.StartAsync(CancellationToken.None);

        public async Task DisposeAsync() => await Tls.DisposeAsync();
    }
}
