using System.Net.Sockets;

// A tiny stateful program the CRIU tests checkpoint: it answers every line on stdin with a
// running count, so a restored copy proves it kept the memory it had at dump time. Two commands
// make it hold what a snapshot must refuse: "tcp PORT" (an open TCP connection) and
// "write PATH" (a regular file open for writing).
var count = 0;
var held = new List<IDisposable>();
Console.Out.WriteLine("ready");
Console.Out.Flush();
while (Console.In.ReadLine() is { } line)
{
    count++;
    var parts = line.Split(' ', 2);
    if (parts is ["tcp", var port])
    {
        var client = new TcpClient();
        client.Connect("127.0.0.1", int.Parse(port));
        held.Add(client);
    }
    else if (parts is ["write", var path])
    {
        held.Add(new FileStream(path, FileMode.Create, FileAccess.Write));
    }

    Console.Out.WriteLine($"count={count} pid={Environment.ProcessId} echo={line}");
    Console.Out.Flush();
    if (line == "exit")
    {
        break;
    }
}

held.ForEach(h => h.Dispose());
return 0;
