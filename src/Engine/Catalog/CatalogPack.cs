namespace ComfySnap.Engine.Catalog;

/// <summary>A node pack as a catalog lists it: name, version, node count, and why it failed to load, if it did.</summary>
public sealed record CatalogPack(string Name, string Version, int NodeCount, string? Error);
