namespace ComfySnap.Worker.Delivery;

/// <summary>Outputs could not be written to <paramref name="bucket"/> after every attempt; the job fails with OutputDeliveryFailed.</summary>
public sealed class OutputDeliveryException(string bucket, string reason, Exception? inner = null)
    : Exception($"outputs could not be written to bucket '{bucket}': {reason}", inner)
{
    public string Bucket { get; } = bucket;

    public string Reason { get; } = reason;
}
