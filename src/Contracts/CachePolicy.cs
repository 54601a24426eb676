namespace ComfySnap.Contracts;

/// <summary>How a job uses the shared output cache.</summary>
public enum CachePolicy
{
    /// <summary>Answer from the cache when the same workflow ran before; store the result otherwise.</summary>
    Use = 0,

    /// <summary>Always run, then overwrite the cached result.</summary>
    Refresh = 1,

    /// <summary>Neither read nor write the cache.</summary>
    Bypass = 2,
}
