namespace ComfySnap.Worker.Boot;

/// <summary>Where the worker's snapshot is and how long a restore may take. Bound from "Snapshot".</summary>
public sealed class SnapshotOptions
{
    public const string SectionName = "Snapshot";

    /// <summary>Snapshot folder written by the SnapshotBuilder; empty: always cold boot.</summary>
    public string? Directory { get; set; }

    /// <summary>Writable folder for criu's restore work files (one sub-folder per restore).</summary>
    public string WorkDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "comfysnap-restore");

    /// <summary>How long the restored process may take to answer the resume handshake.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The worker build compared with the manifest's hashes (this process's own folder by default).</summary>
    public string WorkerDirectory { get; set; } = AppContext.BaseDirectory;

    /// <summary>Restore with criu's lazy-pages daemon: memory is paged in on demand after the process resumes.</summary>
    public bool LazyPages { get; set; }

    /// <summary>
    /// Restored copies `serve` keeps parked before their handshake (0 = none), so replacing a worker
    /// that died takes the handshake only. Each costs its private memory (the image's pages: about
    /// the image size; the weights are the shared page cache). Default 0: one worker per container,
    /// where a replacement is normally a new container; set 1 where a quick in-place replacement is
    /// worth that memory.
    /// </summary>
    public int Standby { get; set; }

    /// <summary>
    /// Read the snapshot's model files (and its image files when <see cref="VerifyImages"/> is off:
    /// the check reads those anyway) into the page cache from the end of the manifest read, beside
    /// criu, so the restored worker's page-in finds them resident instead of waiting for the disk.
    /// Costs a page-table walk per file when they are already cached. Off by default: it helps
    /// <see cref="WeightsPageIn.BeforeReady"/> a little (dropped cache: ready -50 ms), but beside the
    /// default AfterReady its reads delay criu's and the canary's (ready 842 vs 298 ms dropped).
    /// </summary>
    public bool Prefetch { get; set; }

    /// <summary>
    /// Whether BOOTED waits for the mapped weights to be paged in (see <see cref="WeightsPageIn"/>).
    /// AfterReady by default (without <see cref="Prefetch"/>): in `bench boot` it won ready and first
    /// job, warm and dropped (dropped: ready 298 vs 839 ms); a job that renders with the weights
    /// pays the page-in instead (dropped: 1215 vs 1066 ms) (README, "Cold page cache").
    /// </summary>
    public WeightsPageIn PageInWeights { get; set; } = WeightsPageIn.AfterReady;

    /// <summary>
    /// Return glibc malloc's free memory to the kernel just before the dump (malloc_trim; read by
    /// `prepare`, so it is a snapshot build setting): fewer private pages in the image, fewer for
    /// criu to write back on every restore.
    /// </summary>
    public bool TrimNativeHeap { get; set; } = true;

    /// <summary>
    /// Mark all of the prepared worker's private anonymous memory MADV_HUGEPAGE before the dump (a
    /// snapshot build setting), beyond the heaps malloc marks itself (glibc.malloc.hugetlb=1). The
    /// bootstrap's criu (deploy/criu/restore-hugepages.patch) restores marked regions as 2 MiB pages.
    /// Against malloc's marks alone: a few hundred restore faults fewer, restore time within the noise
    /// (docs/snapshots.md).
    /// </summary>
    public bool HugePages { get; set; } = true;

    /// <summary>
    /// Folder holding one snapshot per model set (<c>&lt;ModelSetDirectory&gt;/&lt;name&gt;</c>, each with its own
    /// manifest), as `SnapshotBuilder build --model-set` writes them. `serve` restores one of them when its
    /// worker must change to that set (docs/routing.md, "Switch by restore"); the set names and their models
    /// are <see cref="ModelSetSnapshotOptions.ModelSets"/>. Empty: a worker that must change sets loads the models.
    /// </summary>
    public string? ModelSetDirectory { get; set; }

    /// <summary>Verify image file checksums before restoring (catches corrupt or tampered images). Always on with a signing key.</summary>
    public bool VerifyImages { get; set; } = true;

    /// <summary>
    /// Secret file with the key snapshots are signed with (or the environment variable
    /// COMFYSNAP_SNAPSHOT_SIGNING_KEY): with one, unsigned or wrongly signed snapshots are refused.
    /// </summary>
    public string? SigningKeyFile { get; set; }
}
