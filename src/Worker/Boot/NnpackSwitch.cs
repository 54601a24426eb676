using System.Runtime.InteropServices;
using TorchSharp;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// Turns libtorch's NNPACK off (<c>at::globalContext().setUserEnabledNNPACK(false)</c>, what
/// PyTorch's <c>torch.backends.nnpack.set_flags(False)</c> does). Every CPU convolution asks
/// <c>at::_nnpack_available()</c> first, and on a CPU NNPACK does not support that prints "Could not
/// initialize NNPACK! Reason: Unsupported hardware." once per thread. NNPACK only runs convolutions
/// with a batch of 16 or more, so turning it off changes no result of this engine's batch sizes.
/// TorchSharp has no binding for it and libtorch reads no environment variable for it
/// (TORCH_CPP_LOG_LEVEL is only read by Python's init), so the two exported C++ functions are
/// called directly; if a libtorch build lacks them nothing happens.
/// </summary>
public static unsafe class NnpackSwitch
{
    private const string GlobalContext = "_ZN2at13globalContextEv";
    private const string SetUserEnabled = "_ZN2at7Context20setUserEnabledNNPACKEb";
    private const string UserEnabled = "_ZNK2at7Context17userEnabledNNPACKEv";

    /// <summary>Disables NNPACK; false when libtorch_cpu or its exports were not found.</summary>
    public static bool TryDisable()
    {
        if (!TryContext(out var library, out var context) || !NativeLibrary.TryGetExport(library, SetUserEnabled, out var set))
        {
            return false;
        }

        ((delegate* unmanaged<nint, byte, void>)set)(context, 0);
        return true;
    }

    /// <summary>Whether libtorch would try NNPACK; null when that cannot be asked.</summary>
    public static bool? IsEnabled() =>
        TryContext(out var library, out var context) && NativeLibrary.TryGetExport(library, UserEnabled, out var get)
            ? ((delegate* unmanaged<nint, byte>)get)(context) != 0
            : null;

    private static bool TryContext(out nint library, out nint context)
    {
        context = 0;
        // TorchSharp has loaded it already ("torch load"): this returns the same handle.
        if (!OperatingSystem.IsLinux()
            || !NativeLibrary.TryLoad("libtorch_cpu.so", typeof(torch).Assembly, DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories, out library)
            || !NativeLibrary.TryGetExport(library, GlobalContext, out var global))
        {
            library = 0;
            return false;
        }

        context = ((delegate* unmanaged<nint>)global)();
        return context != 0;
    }
}
