namespace ComfySnap.TestSupport.Otlp;

/// <summary>One metric of an OTLP ExportMetricsServiceRequest: its name, its meter (scope) with the meter's tags, and its resource.</summary>
public sealed record OtlpMetric(string Name, string Scope, IReadOnlyDictionary<string, string?> ScopeAttributes, IReadOnlyDictionary<string, string?> Resource)
{
    /// <summary>
    /// ExportMetricsServiceRequest {repeated ResourceMetrics = 1}; ResourceMetrics {Resource = 1;
    /// repeated ScopeMetrics = 2}; ScopeMetrics {scope = 1 (name 1, attributes 3); repeated Metric = 2};
    /// Metric {name = 1}.
    /// </summary>
    public static List<OtlpMetric> Decode(ReadOnlySpan<byte> request)
    {
        var metrics = new List<OtlpMetric>();
        foreach (var (resource, scope) in ProtoReader.ResourceScopes(request))
        {
            var scopeName = "";
            IReadOnlyDictionary<string, string?> scopeAttributes = new Dictionary<string, string?>();
            var names = new List<string>();
            ProtoReader.Fields(scope, (f, i) =>
            {
                if (f == 1)
                {
                    scopeAttributes = ProtoReader.Attributes(ProtoReader.Bytes(i), 3, name => scopeName = name);
                }
                else if (f == 2)
                {
                    ProtoReader.Fields(ProtoReader.Bytes(i), (mf, mi) =>
                    {
                        if (mf == 1)
                        {
                            names.Add(mi.ReadString());
                        }
                    });
                }
            });
            metrics.AddRange(names.Select(n => new OtlpMetric(n, scopeName, scopeAttributes, resource)));
        }

        return metrics;
    }
}
