namespace ComfySnap.Diffusion.Models;

/// <summary>A loaded model whose weights are file mappings: paged in at load and again after a restore.</summary>
public interface IPageableModel
{
    /// <summary>Touches every page of the mapped weights; returns the bytes covered.</summary>
    long PageIn(CancellationToken cancellationToken);

    /// <summary>The files the weights are mappings of.</summary>
    IReadOnlyList<string> MappedFiles { get; }
}
