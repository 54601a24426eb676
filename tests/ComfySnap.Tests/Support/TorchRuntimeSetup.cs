using System.Runtime.CompilerServices;
using ComfySnap.Worker.Boot;

namespace ComfySnap.Tests.Support;

/// <summary>
/// Sets up torch in the test process as the worker's boot does ("torch load"), before any test
/// runs: many tests run models without booting an engine, and xunit runs them beside tests that do.
/// </summary>
internal static class TorchRuntimeSetup
{
    [ModuleInitializer]
    internal static void AsTheWorkerBootDoes()
    {
        if (!ZeroFilledAllocations.TryEnable())
        {
            throw new InvalidOperationException("libtorch's zero-fill flag was not found: see ZeroFilledAllocations");
        }

        NnpackSwitch.TryDisable();
    }
}
