using System.Globalization;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>An image size the boot's warm-up renders at ("512" or "512x768", width first).</summary>
public readonly record struct WarmupSize(int Width, int Height)
{
    /// <summary>The cheapest render that runs every kernel once: the warm-up when no size is configured.</summary>
    public static readonly WarmupSize Minimal = new(64, 64);

    private const int Largest = 4096;

    /// <summary>The sizes of Models:WarmupSizes; a clear <see cref="FormatException"/> for one that is not a size the models accept.</summary>
    public static IReadOnlyList<WarmupSize> ParseAll(IEnumerable<string> entries) => [.. entries.Select(Parse)];

    public static WarmupSize Parse(string entry)
    {
        var parts = entry.Trim().Split('x', 'X');
        if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            throw new FormatException($"Models:WarmupSizes entry '{entry}' is not a size: write the side (512) or width x height (512x768)");
        }

        var width = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var height = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : width;
        return width % 8 != 0 || height % 8 != 0 || width < 64 || height < 64 || width > Largest || height > Largest
            ? throw new FormatException($"Models:WarmupSizes entry '{entry}': sides must be multiples of 8 from 64 to {Largest} (latents are 1/8 of the image)")
            : new WarmupSize(width, height);
    }

    public override string ToString() => $"{Width}x{Height}";
}
