using ComfySnap.Gateway.Hosting;
using ComfySnap.ServiceDefaults.FirstContact;

// ComfyUI's HTTP + WebSocket API in front of the ComfySnap worker queue.
// Configuration: the worker's appsettings.json (Bus, Cache, Models, Workspace, NodePacks), a
// "Gateway" section, COMFYSNAP_ environment variables and --Section:Key=value arguments.
// A configuration problem (a refused login, no broker or Redis, a rejected certificate, invalid
// settings) ends it with one line and exit code 1; nothing escapes Main (that would abort).
return await ProgramExit.RunAsync(async () =>
{
    await using var app = GatewayHostFactory.Build(args);
    await app.RunAsync();
    return 0;
});
