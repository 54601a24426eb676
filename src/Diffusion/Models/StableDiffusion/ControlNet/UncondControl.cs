namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>
/// ControlNetApply puts its ControlNet on the positive only and marks it control_apply_to_uncond;
/// before sampling ComfyUI gives it to the negative too (comfy/samplers.py,
/// apply_empty_x_to_equal_area): unless a negative entry already has a ControlNet, the i-th
/// marked positive ControlNet goes to negative entry i modulo their count (a later one replaces
/// an earlier one on the same entry).
/// </summary>
public static class UncondControl
{
    public static Conditioning Fill(Conditioning positive, Conditioning negative)
    {
        var controls = positive.Entries.Where(e => e.ControlAppliesToUncond && e.Control is not null).Select(e => e.Control!).ToList();
        if (controls.Count == 0 || negative.Entries.Count == 0 || negative.Entries.Any(e => e.Control is not null))
        {
            return negative;
        }

        var entries = negative.Entries.ToArray();
        for (var i = 0; i < controls.Count; i++)
        {
            var target = i % entries.Length;
            entries[target] = negative.Entries[target] with { Control = controls[i] };
        }

        return new Conditioning(entries);
    }
}
