using System.Runtime.InteropServices;

namespace AntennaIngest.Workload.Network;

/// <summary>
/// CLOCK_MONOTONIC read and slept on directly: Task.Delay and Thread.Sleep round to about a
/// millisecond on Linux, too coarse for the benchmark's 0.25 ms one-way delay, while an absolute
/// clock_nanosleep wakes within the thread's timer slack (set small by <see cref="TightenTimerSlack"/>).
/// </summary>
internal static partial class LinuxTime
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsolute = 1;
    private const int Interrupted = 4; // EINTR
    private const int SetTimerSlack = 29; // PR_SET_TIMERSLACK

    public static long NowNanoseconds()
    {
        _ = ClockGetTime(ClockMonotonic, out var now);
        return (now.Seconds * 1_000_000_000L) + now.Nanoseconds;
    }

    /// <summary>Blocks the calling thread until the monotonic clock reaches <paramref name="dueNanoseconds"/>.</summary>
    public static void SleepUntil(long dueNanoseconds)
    {
        var due = new TimeSpec(dueNanoseconds / 1_000_000_000L, dueNanoseconds % 1_000_000_000L);
        int error;
        while ((error = ClockNanoSleep(ClockMonotonic, TimerAbsolute, in due, IntPtr.Zero)) == Interrupted)
        {
        }

        // Any other failure would turn the scheduler loop into a spin.
        if (error != 0)
        {
            throw new InvalidOperationException($"clock_nanosleep failed with error {error}");
        }
    }

    /// <summary>
    /// The kernel may defer a sleeping thread's wake-up by its timer slack (50 µs by default) to
    /// batch wake-ups; 1 µs keeps the added delay precise at the cost of a few more wake-ups.
    /// </summary>
    public static void TightenTimerSlack() => _ = Prctl(SetTimerSlack, 1_000, 0, 0, 0);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct TimeSpec(long Seconds, long Nanoseconds);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec now);

    // Returns the error number itself (not -1 and errno).
    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanoSleep(int clock, int flags, in TimeSpec request, IntPtr remaining);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
