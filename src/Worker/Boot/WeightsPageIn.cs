namespace ComfySnap.Worker.Boot;

/// <summary>When a restored worker pages in the weights its snapshot maps from model files.</summary>
public enum WeightsPageIn
{
    /// <summary>Before BOOTED: ready means every weight is resident (a cold page cache delays ready).</summary>
    BeforeReady,

    /// <summary>
    /// After BOOTED, in the background: ready does not wait for the disk; a job that loads a model
    /// waits for the page-in to finish, a job without models does not.
    /// </summary>
    AfterReady,
}
