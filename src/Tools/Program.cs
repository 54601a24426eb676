using ComfySnap.Tools.Demo;
using System.CommandLine;
using ComfySnap.Tools;

// Developer tools: the demo (embedded worker; a restored worker beside a cold one), random-weight
// checkpoints for running and measuring, and the bus contracts' JSON Schemas.
var demoOut = new Option<DirectoryInfo>("--out") { Description = "Folder for output images", DefaultValueFactory = _ => new DirectoryInfo("demo-output") };
var demoCount = new Option<int>("--count") { Description = "Run each workflow this many times (in-memory: the second is a cache hit; snapshot: the second shows warm runs)", DefaultValueFactory = _ => 2 };
var noSnapshot = new Option<bool>("--no-snapshot") { Description = "Only the embedded in-memory run (no CRIU snapshot, no restored worker)" };
var fullTxt2Img = new Option<bool>("--full-txt2img") { Description = "Run default-txt2img.json as shipped (512x512, 20 steps) instead of 256x256 with 4 steps" };
var snapshotCache = new Option<DirectoryInfo?>("--snapshot-cache") { Description = "Folder for demo snapshots, one per worker build (default: TMP/comfysnap-demo-snapshots)" };
var demo = new Command("demo", "Boot a worker cold and one restored from a snapshot side by side, run the shipped workflows on both, print both boot waterfalls and the jobs")
{
    demoOut, demoCount, noSnapshot, fullTxt2Img, snapshotCache,
};
demo.SetAction((parse, ct) => parse.GetValue(noSnapshot)
    ? DemoCommand.RunAsync(parse.GetValue(demoOut)!, parse.GetValue(demoCount), null, Spectre.Console.AnsiConsole.Console, ct)
    : SnapshotDemoCommand.RunAsync(
        new ComfySnap.Tools.Demo.SnapshotDemoSettings(
            parse.GetValue(snapshotCache)?.FullName ?? Path.Combine(Path.GetTempPath(), "comfysnap-demo-snapshots"),
            Path.Combine(AppContext.BaseDirectory, "workflows"),
            Environment.GetEnvironmentVariable("COMFYSNAP_CRIU") ?? "criu",
            Environment.GetEnvironmentVariable("COMFYSNAP_DOTNET") ?? "dotnet",
            !parse.GetValue(fullTxt2Img),
            AppContext.BaseDirectory,
            parse.GetValue(demoCount)),
        parse.GetValue(demoOut)!,
        parse.GetValue(demoCount),
        Spectre.Console.AnsiConsole.Console,
        ct));

var preset = new Argument<string>("preset")
{
    Description = "SD 1.x: tiny (22 MB), small (60 MB), sd15-full (Stable Diffusion 1.5 sizes, 2.1 GB in fp16); "
        + "SDXL: sdxl-tiny (35 MB), sdxl-small, sdxl-full (SDXL base 1.0 sizes, 6.9 GB in fp16), sdxl-refiner-tiny, sdxl-refiner-full; "
        + "ControlNets: controlnet-tiny, controlnet-small, controlnet-sd15-full (for the SD 1.x presets)",
};
var checkpointOut = new Argument<FileInfo>("out") { Description = "The .safetensors file to write (e.g. models/checkpoints/sd15-random.safetensors)" };
var dtype = new Option<string?>("--dtype") { Description = "fp32, fp16 or bf16 (default: fp32; fp16 for the full-size presets)" };
var seed = new Option<long>("--seed") { Description = "Generator seed (same preset and seed: same weights)", DefaultValueFactory = _ => 0 };
var sideFile = new Option<bool>("--side-file") { Description = "Also write NAME.arch.json with the head counts" };
var dryRun = new Option<bool>("--dry-run") { Description = "Only count the preset's tensors and parameters per model; write nothing" };
var makeCheckpoint = new Command("make-checkpoint", "Write a random-weight SD 1.x or SDXL checkpoint or ControlNet in the real single-file layout (renders noise; for running and measuring)")
{
    preset, checkpointOut, dtype, seed, sideFile, dryRun,
};
checkpointOut.Arity = ArgumentArity.ZeroOrOne;
makeCheckpoint.SetAction(parse => MakeCheckpointCommand.Run(
    parse.GetValue(preset)!, parse.GetValue(checkpointOut), parse.GetValue(dtype), parse.GetValue(seed), parse.GetValue(sideFile), parse.GetValue(dryRun), Spectre.Console.AnsiConsole.Console));

var schemaOut = new Argument<DirectoryInfo>("out") { Description = "Folder for TypeName.schema.json files (the committed ones: src/Contracts/schemas)" };
var schemas = new Command("schemas", "Write the JSON Schemas of every bus message contract") { schemaOut };
schemas.SetAction(async (parse, ct) =>
{
    foreach (var path in await ContractSchemas.WriteAsync(parse.GetValue(schemaOut)!.FullName, ct))
    {
        Console.WriteLine(path);
    }
});

var root = new RootCommand("ComfySnap tools: demo, make-checkpoint, schemas") { demo, makeCheckpoint, schemas };
return await root.Parse(args).InvokeAsync();
