namespace ComfySnap.Worker.Inputs;

/// <summary>
/// Where a workflow input named by a URI comes from (LoadImage's <c>image</c> = <c>s3://bucket/key</c>),
/// chosen by the URI's scheme. <see cref="RemoteInputs"/> stores what a source reads in the input
/// folder under its SHA-256, so validation, the node and the output cache key see an ordinary file.
/// A new scheme is one more registered source.
/// </summary>
public interface IInputSource
{
    /// <summary>Lower-case URI schemes this source reads, e.g. "s3".</summary>
    IReadOnlyCollection<string> Schemes { get; }

    /// <summary>
    /// The whole content. A reference the source refuses for good (no such object, access denied, too
    /// large) throws <see cref="Jobs.InputFileException"/>, answered as an invalid input; any other
    /// exception is an infrastructure fault and leaves the job to the bus.
    /// </summary>
    Task<byte[]> ReadAsync(Uri uri, CancellationToken cancellationToken);
}
