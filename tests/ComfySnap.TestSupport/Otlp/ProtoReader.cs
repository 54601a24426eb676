using Google.Protobuf;

namespace ComfySnap.TestSupport.Otlp;

/// <summary>
/// Walks one protobuf message field by field (Google.Protobuf's wire reader): the OTLP decoders
/// below read only the fields they need and skip the rest.
/// </summary>
internal static class ProtoReader
{
    public static void Fields(ReadOnlySpan<byte> message, Action<int, CodedInputStream> onField)
    {
        var input = new CodedInputStream(message.ToArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var before = input.Position;
            onField(WireFormat.GetTagFieldNumber(tag), input);
            if (input.Position == before)
            {
                input.SkipLastField();
            }
        }
    }

    /// <summary>
    /// The scopes of an OTLP export request with their resource: Export*ServiceRequest {repeated
    /// Resource* = 1}; Resource* {Resource = 1; repeated Scope* = 2}, the same shape for spans and
    /// metrics. Each scope message comes with the resource's attributes.
    /// </summary>
    public static List<(IReadOnlyDictionary<string, string?> Resource, byte[] Scope)> ResourceScopes(ReadOnlySpan<byte> request)
    {
        var found = new List<(IReadOnlyDictionary<string, string?>, byte[])>();
        Fields(request, (field, input) =>
        {
            if (field != 1)
            {
                return;
            }

            IReadOnlyDictionary<string, string?> resource = new Dictionary<string, string?>();
            var scopes = new List<byte[]>();
            Fields(Bytes(input), (f, i) =>
            {
                if (f == 1)
                {
                    resource = Attributes(Bytes(i), 1);
                }
                else if (f == 2)
                {
                    scopes.Add(Bytes(i));
                }
            });
            found.AddRange(scopes.Select(scope => (resource, scope)));
        });
        return found;
    }

    public static byte[] Bytes(CodedInputStream input) => input.ReadBytes().ToByteArray();

    /// <summary>OTLP KeyValue {key = 1; AnyValue value = 2} as text (AnyValue: string 1, bool 2, int 3, double 4).</summary>
    public static KeyValuePair<string, string?> KeyValue(byte[] message)
    {
        string key = "";
        string? value = null;
        Fields(message, (field, input) =>
        {
            if (field == 1)
            {
                key = input.ReadString();
            }
            else if (field == 2)
            {
                value = AnyValue(Bytes(input));
            }
        });
        return new(key, value);
    }

    private static string? AnyValue(byte[] message)
    {
        string? value = null;
        Fields(message, (field, input) => value = field switch
        {
            1 => input.ReadString(),
            2 => input.ReadBool() ? "true" : "false",
            3 => input.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            4 => input.ReadDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => value,
        });
        return value;
    }

    /// <summary>A Resource or InstrumentationScope's attributes (field <paramref name="attributesField"/>), plus its name (field 1) for a scope.</summary>
    public static Dictionary<string, string?> Attributes(byte[] message, int attributesField, Action<string>? onName = null)
    {
        var attributes = new Dictionary<string, string?>(StringComparer.Ordinal);
        Fields(message, (field, input) =>
        {
            if (field == attributesField)
            {
                var kv = KeyValue(Bytes(input));
                attributes[kv.Key] = kv.Value;
            }
            else if (field == 1 && onName is not null)
            {
                onName(input.ReadString());
            }
        });
        return attributes;
    }
}
