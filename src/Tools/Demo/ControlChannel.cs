using System.Diagnostics;
using System.Text.Json;

namespace ComfySnap.Tools.Demo;

/// <summary>A prepared worker's control channel after BOOTED: one JSON-string workflow in, "RESULT sha,..." or "INVALID ..." out.</summary>
public static class ControlChannel
{
    public static async Task<DemoAnswer> RunAsync(StreamWriter input, StreamReader output, string workflow, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await input.WriteLineAsync(JsonSerializer.Serialize(workflow).AsMemory(), cancellationToken);
        await input.FlushAsync(cancellationToken);
        var answer = await output.ReadLineAsync(cancellationToken);
        var ms = watch.Elapsed.TotalMilliseconds;
        return answer switch
        {
            null => new DemoAnswer(ms, null, "worker exited"),
            _ when answer.StartsWith("RESULT ", StringComparison.Ordinal) => new DemoAnswer(ms, answer["RESULT ".Length..], null),
            _ => new DemoAnswer(ms, null, answer),
        };
    }
}
