// A tiny stateful program the CRIU tests checkpoint: it answers every line on stdin with a
// running count, so a restored copy proves it kept the memory it had at dump time.
var count = 0;
Console.Out.WriteLine("ready");
Console.Out.Flush();
while (Console.In.ReadLine() is { } line)
{
    count++;
    Console.Out.WriteLine($"count={count} pid={Environment.ProcessId} echo={line}");
    Console.Out.Flush();
    if (line == "exit")
    {
        return 0;
    }
}

return 0;
