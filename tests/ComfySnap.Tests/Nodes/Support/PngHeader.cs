using System.Buffers.Binary;

namespace ComfySnap.Tests.Nodes.Support;

/// <summary>Reads a PNG's IHDR by hand, so size checks do not trust the codec under test.</summary>
public readonly record struct PngHeader(int Width, int Height, int BitDepth, int ColorType)
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static PngHeader Read(ReadOnlySpan<byte> png)
    {
        Assert.True(png.Length > 33 && png[..8].SequenceEqual(Signature), "not a PNG");
        Assert.Equal("IHDR"u8.ToArray(), png[12..16].ToArray());
        return new PngHeader(
            BinaryPrimitives.ReadInt32BigEndian(png[16..20]),
            BinaryPrimitives.ReadInt32BigEndian(png[20..24]),
            png[24],
            png[25]);
    }
}
