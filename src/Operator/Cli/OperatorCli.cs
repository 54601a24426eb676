using System.CommandLine;
using ComfySnap.Contracts;
using ComfySnap.Operator.Status;
using ComfySnap.Operator.Submit;
using ComfySnap.Operator.Tail;
using ComfySnap.Operator.Webhooks;

namespace ComfySnap.Operator.Cli;

/// <summary>`submit`, `tail` and `status` (run as `./comfysnap submit|tail|status`). Usage and connection errors exit 2.</summary>
public static class OperatorCli
{
    public const int ExitUsage = 2;

    public static Task<int> InvokeAsync(string[] args, OperatorIo io, CancellationToken cancellationToken) =>
        Build(io).Parse(args).InvokeAsync(new InvocationConfiguration { Output = io.Out, Error = io.Error }, cancellationToken);

    public static RootCommand Build(OperatorIo io) => new("ComfySnap operator: submit batches of workflows, tail worker timings, show queue status")
    {
        Submit(io), TailCmd(io), StatusCmd(io), WebhooksCmd(io),
    };

    private static Command Submit(OperatorIo io)
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Workflow .json files (ComfyUI API format), folders of them, .jsonl files (one workflow per line)", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string>("--out") { Description = "Folder for outputs and the batch state file", DefaultValueFactory = _ => "submit-output" };
        var repeat = new Option<int>("--repeat") { Description = "Submit each workflow this many times", DefaultValueFactory = _ => 1 };
        var sweep = new Option<string?>("--seed-sweep") { Description = "FROM..TO: one job per seed, set on every KSampler/KSamplerAdvanced" };
        var resume = new Option<bool>("--resume") { Description = "Continue the batch in --out: send only jobs without an answer" };
        var batch = new Option<string?>("--batch") { Description = "Batch id (default: new, or the state file's with --resume)" };
        var cache = new Option<CachePolicy>("--cache") { Description = "Output cache: Use, Refresh or Bypass", DefaultValueFactory = _ => CachePolicy.Use };
        var idle = new Option<double>("--idle-timeout") { Description = "Seconds without any answer before giving up (exit 3; --resume later)", DefaultValueFactory = _ => 600 };
        var connection = new ConnectionOptions();
        var command = new Command("submit", "Send workflows to the workers under one BatchId, write their outputs, show progress and a summary")
        {
            inputs, output, repeat, sweep, resume, batch, cache, idle,
        };
        connection.AddTo(command);
        command.SetAction((parse, ct) => Guarded(io, () =>
        {
            var n = parse.GetValue(repeat);
            if (n < 1)
            {
                throw new ArgumentException("--repeat must be at least 1");
            }

            var settings = new SubmitSettings(
                parse.GetValue(inputs) ?? [],
                parse.GetValue(output)!,
                n,
                parse.GetValue(sweep) is { } s ? SeedSweep.Parse(s) : null,
                parse.GetValue(resume),
                parse.GetValue(batch),
                parse.GetValue(cache),
                TimeSpan.FromSeconds(parse.GetValue(idle)));
            return SubmitCommand.RunAsync(settings, connection.Bind(parse), io, ct);
        }));
        return command;
    }

    private static Command TailCmd(OperatorIo io)
    {
        var worker = new Option<string?>("--worker") { Description = "Only this worker's events" };
        var batch = new Option<string?>("--batch") { Description = "Only this batch's jobs" };
        var kind = new Option<string[]>("--kind") { Description = "booted, timings, failed (repeat or comma-separate; default all)", AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "One JSON object per line on stdout" };
        var duration = new Option<double?>("--for") { Description = "Stop after this many seconds (default: until Ctrl+C)" };
        var connection = new ConnectionOptions();
        var command = new Command("tail", "Show WorkerBooted, JobTimings and WorkflowFailed live") { worker, batch, kind, json, duration };
        connection.AddTo(command);
        command.SetAction((parse, ct) => Guarded(io, () =>
        {
            var kinds = (parse.GetValue(kind) ?? []).SelectMany(k => k.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal);
            if (kinds.Count == 0)
            {
                kinds = [.. TailSettings.AllKinds];
            }

            if (kinds.FirstOrDefault(k => !TailSettings.AllKinds.Contains(k)) is { } bad)
            {
                throw new ArgumentException($"--kind {bad}: expected one of {string.Join(", ", TailSettings.AllKinds)}");
            }

            var settings = new TailSettings(parse.GetValue(worker), parse.GetValue(batch), kinds, parse.GetValue(json),
                parse.GetValue(duration) is { } d ? TimeSpan.FromSeconds(d) : null);
            return TailCommand.RunAsync(settings, connection.Bind(parse), io, ct);
        }));
        return command;
    }

    private static Command StatusCmd(OperatorIo io)
    {
        var listen = new Option<double>("--listen") { Description = "Seconds to listen for workers booting or taking jobs", DefaultValueFactory = _ => 3 };
        var keyPrefix = new Option<string>("--key-prefix")
        {
            Description = "The workers' Cache:KeyPrefix: where the fleet registry (model queues of dead workers) lives in Redis",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("COMFYSNAP_Cache__KeyPrefix") ?? "comfysnap:",
        };
        var connection = new ConnectionOptions();
        var command = new Command("status", "Queue depth and consumers; workers heard booting or working; model queues and their holders") { listen, keyPrefix };
        connection.AddTo(command);
        command.SetAction((parse, ct) => Guarded(io, () => StatusCommand.RunAsync(connection.Bind(parse), TimeSpan.FromSeconds(parse.GetValue(listen)), parse.GetValue(keyPrefix)!, io, ct)));
        return command;
    }

    private static Command WebhooksCmd(OperatorIo io)
    {
        var list = new Command("dead-letters", "List webhook deliveries given up (retries spent, or answered 4xx)");
        var json = new Option<bool>("--json") { Description = "One JSON object per dead letter on stdout" };
        list.Options.Add(json);
        var listConnection = WebhookConnection(list);
        list.SetAction((parse, ct) => Guarded(io, () => WebhooksCommand.ListAsync(listConnection.Connection.Bind(parse), listConnection.Settings(parse, parse.GetValue(json)), io, ct)));

        var ids = new Argument<string[]>("ids") { Description = "Delivery ids (from dead-letters)", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Replay every dead letter" };
        var replay = new Command("replay", "Queue dead letters again for the workers (a fresh set of attempts) and remove them") { ids, all };
        var replayConnection = WebhookConnection(replay);
        replay.SetAction((parse, ct) => Guarded(io, () => WebhooksCommand.ReplayAsync(replayConnection.Connection.Bind(parse), replayConnection.Settings(parse, false),
            parse.GetValue(ids) ?? [], parse.GetValue(all), io, ct)));
        return new Command("webhooks", "Result webhooks: list and replay dead letters") { list, replay };
    }

    private static WebhookOptionSet WebhookConnection(Command command)
    {
        var set = new WebhookOptionSet(new ConnectionOptions(),
            new Option<string>("--key-prefix") { Description = "The workers' Cache:KeyPrefix", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("COMFYSNAP_Cache__KeyPrefix") is { Length: > 0 } p ? p : "comfysnap:" },
            new Option<string?>("--webhook-queue") { Description = "The workers' webhook queue (Webhooks:QueueName; default <queue>-webhooks)" });
        set.Connection.AddTo(command);
        command.Options.Add(set.KeyPrefix);
        command.Options.Add(set.WebhookQueue);
        return set;
    }

    private sealed record WebhookOptionSet(ConnectionOptions Connection, Option<string> KeyPrefix, Option<string?> WebhookQueue)
    {
        public WebhookSettings Settings(ParseResult parse, bool json) =>
            new(parse.GetValue(KeyPrefix)!, parse.GetValue(WebhookQueue) is { Length: > 0 } q ? q : $"{parse.GetValue(Connection.Queue)}-webhooks", json);
    }

    /// <summary>Bad arguments, missing files and unreachable services: one line on stderr and exit 2, no stack trace.</summary>
    private static async Task<int> Guarded(OperatorIo io, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException
            or RabbitMQ.Client.Exceptions.BrokerUnreachableException or MassTransit.RabbitMqConnectionException or TimeoutException
            or ServiceDefaults.FirstContact.FirstContactException)
        {
            await io.Error.WriteLineAsync($"error: {e.Message}");
            return ExitUsage;
        }
    }
}
