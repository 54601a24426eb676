using System.Globalization;

namespace ComfySnap.ServiceDefaults.FirstContact;

/// <summary>The wording shared by the broker's and Redis's first-contact lines: who, where, what happened, which setting to change.</summary>
public static class FirstContactMessages
{
    public static string CertificateRejected(string service, string endpoint, string? subject, string reason) =>
        $"{service} at {endpoint} presented a TLS certificate{(subject is null ? "" : $" ({subject})")} that was rejected: {reason}";

    /// <param name="service">"RabbitMQ" or "Redis".</param>
    /// <param name="endpoint">host:port.</param>
    /// <param name="why">What a plain TCP connect says (e.g. "Connection refused"); null when it connects.</param>
    /// <param name="waited">How long the program tried.</param>
    /// <param name="settings">The settings that say where the service is.</param>
    /// <param name="protocolAdvice">What to check when TCP connects but the service's handshake never completes.</param>
    public static string Unreachable(string service, string endpoint, string? why, TimeSpan waited, string settings, string protocolAdvice) =>
        why is null
            ? $"{service} at {endpoint} accepts connections but did not complete its handshake within {Seconds(waited)}: {protocolAdvice}"
            : $"{service} at {endpoint} is not reachable ({why}; tried for {Seconds(waited)}): set {settings}, or start {service} there";

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.#} s");
}
