using System.Text;

namespace ComfySnap.Tests.Operator.Support;

/// <summary>A TextWriter several threads write to while a test reads what came so far.</summary>
public sealed class CapturedWriter : TextWriter
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get
        {
            lock (_lock)
            {
                return _text.ToString();
            }
        }
    }

    public override void Write(char value)
    {
        lock (_lock)
        {
            _text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_lock)
        {
            _text.Append(value);
        }
    }

    public async Task WaitForAsync(Func<string, bool> done, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!done(Text))
        {
            await Task.Delay(100, cts.Token);
        }
    }
}
