using System.Runtime.InteropServices;
using TorchSharp;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// Makes libtorch zero every CPU allocation (c10's <c>FLAGS_caffe2_cpu_allocator_do_zero_fill</c>,
/// read by each allocation). libtorch's oneDNN (mkldnn) convolution reads memory it never writes:
/// for an input of more than 16 channels that is not a multiple of the CPU's channel block (16 on
/// AVX-512, 8 on AVX2) it computes over channels padded up to the block in buffers from this
/// allocator, and nothing writes the padding. The padding meets zero weights, so most garbage
/// vanishes, but recycled memory that holds a NaN or Inf bit pattern (0 x NaN = NaN) turns every
/// output pixel NaN (issue 24). Zeroed allocations make that padding 0 and every result
/// reproducible. The flag is process-global: set once, at boot, before any compute.
/// </summary>
public static class ZeroFilledAllocations
{
    private const string ZeroFill = "FLAGS_caffe2_cpu_allocator_do_zero_fill";
    private const string JunkFill = "FLAGS_caffe2_cpu_allocator_do_junk_fill";

    /// <summary>Turns zero-filling on; false when libc10 or its flags were not found.</summary>
    public static bool TryEnable()
    {
        if (!TryFlags(out var zero, out var junk))
        {
            return false;
        }

        // c10 refuses an allocation with both fills requested; zeroing is what results rely on.
        Marshal.WriteByte(junk, 0);
        Marshal.WriteByte(zero, 1);
        return true;
    }

    /// <summary>Whether libtorch zero-fills its CPU allocations; null when that cannot be asked.</summary>
    public static bool? IsEnabled() => TryFlags(out var zero, out _) ? Marshal.ReadByte(zero) != 0 : null;

    private static bool TryFlags(out nint zero, out nint junk)
    {
        zero = junk = 0;
        // TorchSharp has loaded libc10 with libtorch ("torch load"): this returns the same handle.
        return OperatingSystem.IsLinux()
            && NativeLibrary.TryLoad("libc10.so", typeof(torch).Assembly, DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories, out var library)
            && NativeLibrary.TryGetExport(library, ZeroFill, out zero)
            && NativeLibrary.TryGetExport(library, JunkFill, out junk);
    }
}
