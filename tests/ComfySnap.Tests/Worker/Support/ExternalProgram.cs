using System.Diagnostics;
using System.Text;
using ComfySnap.Tests.Support;

namespace ComfySnap.Tests.Worker.Support;

/// <summary>What a program run to its end printed, and its exit code.</summary>
public sealed record ProgramResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs a program that is not ours (python3, node) to its end with the tests' minimal environment.</summary>
public static class ExternalProgram
{
    public static async Task<ProgramResult> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? TestEnvironment.RepoRoot,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (k, v) in TestEnvironment.ChildEnvironment())
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{program} {string.Join(' ', info.ArgumentList)} ran past {timeout}:\n{stdout}\n{stderr}");
        }

        process.WaitForExit(); // flushes the asynchronous output readers
        lock (stdout)
        {
            lock (stderr)
            {
                return new ProgramResult(process.ExitCode, stdout.ToString(), stderr.ToString());
            }
        }
    }

    private static void Append(StringBuilder to, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (to)
        {
            to.AppendLine(line);
        }
    }
}
