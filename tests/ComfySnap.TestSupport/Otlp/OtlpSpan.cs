using Google.Protobuf;

namespace ComfySnap.TestSupport.Otlp;

/// <summary>One span of an OTLP ExportTraceServiceRequest, with its resource's and scope's identity.</summary>
public sealed record OtlpSpan(
    string Name,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    IReadOnlyDictionary<string, string?> Attributes,
    IReadOnlyDictionary<string, string?> Resource,
    string Scope)
{
    public string? Tag(string key) => Attributes.TryGetValue(key, out var v) ? v : null;

    public bool IsRoot => ParentSpanId.Length == 0;

    /// <summary>
    /// ExportTraceServiceRequest {repeated ResourceSpans = 1}; ResourceSpans {Resource = 1; repeated
    /// ScopeSpans = 2}; ScopeSpans {scope = 1; repeated Span = 2}; Span {trace_id 1, span_id 2,
    /// parent_span_id 4, name 5, attributes 9}.
    /// </summary>
    public static List<OtlpSpan> Decode(ReadOnlySpan<byte> request)
    {
        var spans = new List<OtlpSpan>();
        foreach (var (resource, scope) in ProtoReader.ResourceScopes(request))
        {
            var scopeName = "";
            ProtoReader.Fields(scope, (f, i) =>
            {
                if (f == 1)
                {
                    ProtoReader.Attributes(ProtoReader.Bytes(i), 3, name => scopeName = name);
                }
                else if (f == 2)
                {
                    spans.Add(Span(ProtoReader.Bytes(i), resource, scopeName));
                }
            });
        }

        return spans;
    }

    private static OtlpSpan Span(byte[] message, IReadOnlyDictionary<string, string?> resource, string scope)
    {
        string name = "", traceId = "", spanId = "", parent = "";
        var attributes = new Dictionary<string, string?>(StringComparer.Ordinal);
        ProtoReader.Fields(message, (field, input) =>
        {
            switch (field)
            {
                case 1: traceId = Hex(input.ReadBytes()); break;
                case 2: spanId = Hex(input.ReadBytes()); break;
                case 4: parent = Hex(input.ReadBytes()); break;
                case 5: name = input.ReadString(); break;
                case 9:
                    var kv = ProtoReader.KeyValue(ProtoReader.Bytes(input));
                    attributes[kv.Key] = kv.Value;
                    break;
            }
        });
        return new OtlpSpan(name, traceId, spanId, parent, attributes, resource, scope);
    }

    private static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);
}
