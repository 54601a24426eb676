using ComfySnap.Gateway.Hosting;
using ComfySnap.ServiceDefaults.FirstContact;

// ComfyUI's HTTP + WebSocket API in front of the ComfySnap worker queue.
// Configuration: an optional appsettings.json beside the binary ("Gateway"; the workers' "Bus" and
// "Cache" sections for the queue, the broker, Redis and the key prefix), COMFYSNAP_ environment
// variables and --Section:Key=value arguments; every setting has a default in code. No node code: nodes come from the catalog workers publish.
// A configuration problem (a refused login, no broker or Redis, a rejected certificate, invalid
// settings) ends it with one line and exit code 1; nothing escapes Main (that would abort).
return await ProgramExit.RunAsync(async () =>
{
    await using var app = GatewayHostFactory.Build(args);
    await app.RunAsync();
    return 0;
});
