using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Worker.Inputs;

/// <summary>Inputs given as URLs (LoadImage's image as http(s)://...). Bound from "Inputs".</summary>
public sealed class InputOptions
{
    public const string SectionName = "Inputs";

    /// <summary>Largest image a URL may deliver; a larger one fails the job.</summary>
    [Range(1, long.MaxValue)]
    public long MaxBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>How long one fetch (connect, redirects, body) may take.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Fetch from loopback, link-local and private addresses too (off: public addresses only).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>CIDR ranges allowed although not public.</summary>
    public List<string> AllowedNetworks { get; set; } = [];
}
