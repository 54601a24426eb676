using System.CommandLine;
using ComfySnap.ServiceDefaults.FirstContact;
using ComfySnap.Worker.Cli;

// The worker's command line: `serve` is the queue-driven worker, `run-workflow` runs one graph
// locally, `prepare` parks a booted worker for the SnapshotBuilder.
var workflow = new Argument<FileInfo>("workflow") { Description = "Workflow in ComfyUI API format (Save (API))" };
var output = new Option<DirectoryInfo>("--out") { Description = "Folder for output images", DefaultValueFactory = _ => new DirectoryInfo("output") };
var input = new Option<DirectoryInfo?>("--input-dir") { Description = "Folder LoadImage reads from (default: input)" };
var models = new Option<DirectoryInfo?>("--models-dir") { Description = "Folder with one sub-folder per model kind (default: models)" };
var packs = new Option<DirectoryInfo?>("--node-packs") { Description = "Folder of external node packs (default: node_packs)" };
var repeat = new Option<int>("--repeat") { Description = "Run the workflow this many times (shows the node cache)", DefaultValueFactory = _ => 1 };

var runWorkflow = new Command("run-workflow", "Run one workflow without any bus and print a per-node timing table")
{
    workflow, output, input, models, packs, repeat,
};
runWorkflow.SetAction((parse, ct) =>
{
    var overrides = new Dictionary<string, string?>();
    if (parse.GetValue(input) is { } i)
    {
        overrides["Workspace:InputDirectory"] = i.FullName;
    }

    if (parse.GetValue(models) is { } m)
    {
        overrides["Models:BaseDirectory"] = m.FullName;
    }

    if (parse.GetValue(packs) is { } p)
    {
        overrides["NodePacks:Directory"] = p.FullName;
    }

    return RunWorkflowCommand.RunAsync(parse.GetValue(workflow)!, parse.GetValue(output)!, parse.GetValue(repeat), overrides, ct);
});

var prepare = new Command("prepare", "Boot with the GPU masked and no bus, then park for a CRIU checkpoint (used by the SnapshotBuilder)");
prepare.SetAction((_, ct) => PrepareCommand.RunAsync(ct));

var serve = new Command("serve", "Run the queue worker (configuration: appsettings.json, COMFYSNAP_ environment) until SIGTERM");
// A configuration problem (a refused login, no broker or Redis, a rejected certificate, invalid
// settings) ends serve with one line and exit code 1, not System.CommandLine's stack trace.
serve.SetAction((_, ct) => ProgramExit.RunAsync(() => ServeCommand.RunAsync(new Dictionary<string, string?>(), ct)));

var root = new RootCommand("ComfySnap worker: runs ComfyUI API-format workflows on TorchSharp") { runWorkflow, serve, prepare };
return await root.Parse(args).InvokeAsync();
