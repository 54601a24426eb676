using ComfySnap.Gateway.Hosting;

// ComfyUI's HTTP + WebSocket API in front of the ComfySnap worker queue.
// Configuration: the worker's appsettings.json (Bus, Cache, Models, Workspace, NodePacks), a
// "Gateway" section, COMFYSNAP_ environment variables and --Section:Key=value arguments.
var app = GatewayHostFactory.Build(args);
await app.RunAsync();
