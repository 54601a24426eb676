namespace ComfySnap.Snapshots;

/// <summary>
/// The glibc malloc setting every worker process starts with: <c>glibc.malloc.hugetlb=1</c> makes
/// malloc mark its heaps and large chunks MADV_HUGEPAGE. libtorch allocates every tensor through
/// malloc and frees it after the op, so each UNet or VAE call faults its activations in afresh; on
/// the VMs this runs on a 4 KiB first touch costs 15-30 us, and with 2 MiB pages a 512x512 render
/// takes about 6.6x fewer faults (docs/snapshots.md, "Per-job page faults"). Tunables are read
/// once at process start, so launchers set it; a restored worker keeps the prepared one's.
/// </summary>
public static class NativeAllocatorTuning
{
    public const string VariableName = "GLIBC_TUNABLES";
    public const string HugePagesTunable = "glibc.malloc.hugetlb=1";

    /// <summary>
    /// The GLIBC_TUNABLES value a worker is started with: <paramref name="inherited"/> as it is when
    /// it already says anything about glibc.malloc.hugetlb (an operator's choice, e.g. =0), else
    /// with the huge-page tunable added.
    /// </summary>
    public static string For(string? inherited) =>
        string.IsNullOrWhiteSpace(inherited) ? HugePagesTunable
        : inherited.Contains("glibc.malloc.hugetlb=", StringComparison.Ordinal) ? inherited
        : inherited + ":" + HugePagesTunable;

    /// <summary>Whether a GLIBC_TUNABLES value turns malloc's huge pages on (hugetlb=1 for THP, 2 for hugetlbfs pages).</summary>
    public static bool HugePagesOn(string? tunables) =>
        tunables?.Split(':').Any(t => t is "glibc.malloc.hugetlb=1" or "glibc.malloc.hugetlb=2") ?? false;
}
