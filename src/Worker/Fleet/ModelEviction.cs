using ComfySnap.Diffusion.Models;

namespace ComfySnap.Worker.Fleet;

/// <summary>Which loaded models to unload so that what stays plus what is about to load fits Models:MemoryBudget.</summary>
public static class ModelEviction
{
    /// <param name="held">The loaded models, least recently used first.</param>
    /// <param name="pinned">Models a running or starting job needs: never chosen.</param>
    /// <param name="budget">Models:MemoryBudget in bytes; 0 or less: no bound, nothing is chosen.</param>
    /// <param name="incomingBytes">Bytes of the models the next job will load.</param>
    /// <returns>The models to unload, least recently used first; the pinned ones may still exceed the budget.</returns>
    public static IReadOnlyList<string> Choose(IReadOnlyList<HeldModel> held, IReadOnlySet<string> pinned, long budget, long incomingBytes)
    {
        if (budget <= 0)
        {
            return [];
        }

        var total = held.Sum(h => h.Bytes) + incomingBytes;
        var chosen = new List<string>();
        foreach (var model in held.OrderBy(h => h.LastUsed))
        {
            if (total <= budget)
            {
                break;
            }

            if (!pinned.Contains(model.Key))
            {
                chosen.Add(model.Key);
                total -= model.Bytes;
            }
        }

        return chosen;
    }
}
