using ComfySnap.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using System.Security.Cryptography;

namespace ComfySnap.Worker.Cli;

/// <summary>
/// What a restored worker does after BOOTED. Until the bus worker is wired into the restored
/// path it runs workflows handed to it on the control channel, one JSON-escaped line each, and
/// answers the sha256 of each output (used by the snapshot tests to compare with a cold boot).
/// </summary>
internal static class RestoredWorkerLoop
{
    public static async Task<int> RunAsync(IHost host, CancellationToken cancellationToken)
    {
        var engine = host.Services.GetRequiredService<WorkflowEngine>();
        while (await Console.In.ReadLineAsync(cancellationToken) is { } line)
        {
            var json = System.Text.Json.JsonSerializer.Deserialize<string>(line) ?? "";
            var report = engine.Validate(json, out var workflow);
            if (workflow is null)
            {
                Console.Out.WriteLine($"INVALID {report.Describe()}");
            }
            else
            {
                var result = await engine.RunAsync(workflow, null, cancellationToken);
                Console.Out.WriteLine("RESULT " + string.Join(',', result.Outputs.Select(o => Convert.ToHexStringLower(SHA256.HashData(o.Artifact.Bytes.Span)))));
            }

            await Console.Out.FlushAsync(cancellationToken);
        }

        return 0;
    }
}
