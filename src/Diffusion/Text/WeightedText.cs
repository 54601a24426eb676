namespace ComfySnap.Diffusion.Text;

/// <summary>A piece of a prompt and the emphasis weight its parentheses give it.</summary>
public readonly record struct WeightedText(string Text, double Weight);
