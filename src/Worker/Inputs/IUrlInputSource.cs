namespace ComfySnap.Worker.Inputs;

/// <summary>Fetches input images named by URL, for the schemes it serves (http/https, ...).</summary>
public interface IUrlInputSource
{
    /// <summary>Lower-case URI schemes this source fetches.</summary>
    IReadOnlyCollection<string> Schemes { get; }

    /// <summary>The image behind <paramref name="url"/>; throws <see cref="Jobs.InputFileException"/> with the reason when it cannot be used.</summary>
    Task<FetchedInput> FetchAsync(Uri url, CancellationToken cancellationToken);
}
