namespace ComfySnap.Diffusion.Text;

/// <summary>A CLIP token id and the emphasis weight of the prompt piece it came from.</summary>
public readonly record struct WeightedToken(int Id, double Weight);
