using System.Text.Json.Nodes;
using ComfySnap.Contracts;

namespace ComfySnap.Gateway.Endpoints;

/// <summary>
/// A prompt's <c>extra_data.delivery</c>: <c>{"bucket", "key_prefix", "format", "quality"}</c>, all
/// optional, mapped onto <see cref="RunWorkflow.Delivery"/>. Unknown keys are refused, so a typo
/// (say "formt") is a 400 instead of a PNG the user did not ask for.
/// </summary>
public static class PromptDelivery
{
    public const string ErrorType = "invalid_delivery";

    private static readonly string[] Keys = ["bucket", "key_prefix", "format", "quality"];

    /// <summary>
    /// The job's delivery, or why <paramref name="node"/> cannot be one. No bucket: the outputs come
    /// back to the gateway (Bucket "", even from a worker with a default bucket), since /view serves them.
    /// </summary>
    public static (OutputDelivery? Delivery, string? Problem) Parse(JsonNode? node, string promptId)
    {
        if (node is null)
        {
            return (new OutputDelivery(Bucket: ""), null);
        }

        if (node is not JsonObject options)
        {
            return Refused("must be an object: {\"bucket\", \"key_prefix\", \"format\", \"quality\"}");
        }

        if (options.Select(p => p.Key).FirstOrDefault(k => !Keys.Contains(k, StringComparer.Ordinal)) is { } unknown)
        {
            return Refused($"has an unknown key '{unknown}' (known: {string.Join(", ", Keys)})");
        }

        if (!TryString(options["bucket"], out var bucket) || !TryString(options["key_prefix"], out var prefix) || !TryString(options["format"], out var formatName))
        {
            return Refused("bucket, key_prefix and format must be strings");
        }

        if (bucket is not null && ObjectKeys.BucketProblem(bucket) is { } bucketProblem)
        {
            return Refused($"bucket {bucketProblem}");
        }

        if (prefix is not null && bucket is null)
        {
            return Refused("key_prefix needs a bucket");
        }

        if (bucket is not null && (ObjectKeys.PrefixProblem(prefix) ?? ObjectKeys.JobIdProblem(promptId)) is { } keyProblem)
        {
            return Refused(keyProblem);
        }

        OutputFormat? format = null;
        if (formatName is not null)
        {
            format = formatName.ToLowerInvariant() switch
            {
                "png" => OutputFormat.Png,
                "webp" => OutputFormat.Webp,
                "jpeg" or "jpg" => OutputFormat.Jpeg,
                _ => null,
            };
            if (format is null)
            {
                return Refused($"format '{formatName}' is not one of png, webp, jpeg");
            }
        }

        int? quality = null;
        if (options["quality"] is { } qualityNode)
        {
            if (qualityNode is not JsonValue value || !value.TryGetValue<int>(out var q) || q is < 1 or > 100)
            {
                return Refused($"quality {qualityNode.ToJsonString()} is not a whole number from 1 to 100");
            }

            quality = q;
        }

        return (new OutputDelivery(Bucket: bucket ?? "", KeyPrefix: prefix, Format: format, Quality: quality), null);
    }

    private static (OutputDelivery?, string?) Refused(string why) => (null, "extra_data.delivery " + why);

    private static bool TryString(JsonNode? node, out string? text)
    {
        text = null;
        if (node is null)
        {
            return true;
        }

        return node is JsonValue value && value.TryGetValue(out text);
    }
}
