using ComfySnap.Operator.Cli;

// MassTransit 8.4+ phones home after five minutes; these machines have no internet (BUS.md).
Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
return await OperatorCli.InvokeAsync(args, OperatorIo.FromConsole(), CancellationToken.None);
