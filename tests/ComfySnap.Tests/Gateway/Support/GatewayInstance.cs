using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ComfySnap.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;

namespace ComfySnap.Tests.Gateway.Support;

/// <summary>A gateway in this process on a free loopback port, configured like the harness's workers (same queue, Redis prefix, folders).</summary>
public sealed class GatewayInstance : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayInstance(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public static async Task<GatewayInstance> StartAsync(IReadOnlyDictionary<string, string?> workerSettings, IDictionary<string, string?>? settings = null)
    {
        var overrides = new Dictionary<string, string?>(workerSettings) { ["Gateway:Listen"] = "http://127.0.0.1:0" };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            overrides[k] = v;
        }

        var app = GatewayHostFactory.Build([], overrides);
        await app.StartAsync();
        return new GatewayInstance(app, new Uri(app.Urls.First()));
    }

    /// <summary>Waits for /ready: Redis, the bus and the workers' node catalog.</summary>
    public Task WaitReadyAsync(TimeSpan? timeout = null) => HttpProbe.WaitForOkAsync(new Uri(Address, "/ready"), timeout ?? TimeSpan.FromSeconds(30));

    public async Task<JsonNode> GetJsonAsync(string path) => JsonNode.Parse(await Http.GetStringAsync(path))!;

    public async Task<(int Status, JsonNode? Body)> PostJsonAsync(string path, JsonNode body)
    {
        using var response = await Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text));
    }

    /// <summary>Submits a prompt as a ComfyUI client does; returns its prompt_id.</summary>
    public async Task<string> SubmitAsync(string workflowJson, string clientId)
    {
        var (status, body) = await PostJsonAsync("/prompt", new JsonObject { ["prompt"] = JsonNode.Parse(workflowJson), ["client_id"] = clientId });
        Assert.True(status == 200, $"POST /prompt answered {status}: {body?.ToJsonString()}");
        return body!["prompt_id"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
