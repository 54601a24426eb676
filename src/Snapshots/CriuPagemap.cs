using System.Buffers.Binary;
using Google.Protobuf;

namespace ComfySnap.Snapshots;

/// <summary>
/// criu's pagemap image (pagemap-ID.img): which pages of a process the image holds, as runs of
/// pages, and which pages-N.img holds their bytes, in entry order. Format (criu images/pagemap.proto,
/// criu/include/magic.h): two magics, then length-prefixed protobuf messages, a pagemap_head
/// {pages_id} and pagemap_entry {vaddr, compat_nr_pages, in_parent, flags, nr_pages} records.
/// </summary>
public sealed record CriuPagemap(uint PagesId, IReadOnlyList<CriuPagemap.Entry> Entries)
{
    public const uint CommonMagic = 0x54564319;
    public const uint PagemapMagic = 0x56084025;
    public const int PageSize = 4096;

    /// <summary>pages are in the pages image (PE_PRESENT); others live in a parent image or nowhere.</summary>
    public const uint FlagPresent = 1 << 2;

    public sealed record Entry(ulong Address, ulong Pages, uint Flags, bool InParent = false)
    {
        /// <summary>Whether this run's bytes follow in the pages image.</summary>
        public bool HasData => (Flags & FlagPresent) != 0 && !InParent;
    }

    public static CriuPagemap Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != CommonMagic || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) != PagemapMagic)
        {
            throw new InvalidDataException($"{path} is not a criu pagemap image");
        }

        var messages = new List<ReadOnlyMemory<byte>>();
        for (var at = 8; at < bytes.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
            messages.Add(bytes.AsMemory(at + 4, length));
            at += 4 + length;
        }

        if (messages.Count == 0)
        {
            throw new InvalidDataException($"{path} has no pagemap_head");
        }

        return new CriuPagemap(ReadHead(messages[0]), [.. messages.Skip(1).Select(ReadEntry)]);
    }

    public void Write(string path)
    {
        using var file = File.Create(path);
        var word = new byte[4];
        void Put(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(word, value);
            file.Write(word);
        }

        void Message(byte[] payload)
        {
            Put((uint)payload.Length);
            file.Write(payload);
        }

        Put(CommonMagic);
        Put(PagemapMagic);
        Message(Encode(output => { output.WriteTag(1, WireFormat.WireType.Varint); output.WriteUInt32(PagesId); }));
        foreach (var entry in Entries)
        {
            // As criu 4.x writes them: compat_nr_pages 0, the count in nr_pages.
            Message(Encode(output =>
            {
                output.WriteTag(1, WireFormat.WireType.Varint);
                output.WriteUInt64(entry.Address);
                output.WriteTag(2, WireFormat.WireType.Varint);
                output.WriteUInt32(0);
                if (entry.InParent)
                {
                    output.WriteTag(3, WireFormat.WireType.Varint);
                    output.WriteBool(true);
                }

                output.WriteTag(4, WireFormat.WireType.Varint);
                output.WriteUInt32(entry.Flags);
                output.WriteTag(5, WireFormat.WireType.Varint);
                output.WriteUInt64(entry.Pages);
            }));
        }
    }

    private static uint ReadHead(ReadOnlyMemory<byte> message)
    {
        var input = new CodedInputStream(message.ToArray());
        uint pagesId = 0;
        while (input.ReadTag() is var tag and not 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
            {
                pagesId = input.ReadUInt32();
            }
            else
            {
                input.SkipLastField();
            }
        }

        return pagesId;
    }

    private static Entry ReadEntry(ReadOnlyMemory<byte> message)
    {
        var input = new CodedInputStream(message.ToArray());
        ulong address = 0, pages = 0, compatPages = 0;
        uint flags = 0;
        var inParent = false;
        while (input.ReadTag() is var tag and not 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: address = input.ReadUInt64(); break;
                case 2: compatPages = input.ReadUInt32(); break;
                case 3: inParent = input.ReadBool(); break;
                case 4: flags = input.ReadUInt32(); break;
                case 5: pages = input.ReadUInt64(); break;
                default: input.SkipLastField(); break;
            }
        }

        return new Entry(address, pages != 0 ? pages : compatPages, flags, inParent);
    }

    private static byte[] Encode(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }
}
