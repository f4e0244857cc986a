package io.github.visionzoo.zoo;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Makes ND4J's OpenMP threads sleep instead of spin while they wait, unless the user chose otherwise.
 *
 * <p>libgomp's default lets idle OpenMP threads spin. When DL4J shares the cores with anything else (the data
 * loader's threads, the JVM's own, another process) the spinning threads take the CPU from the ones doing work:
 * measured on 2 cores, training ResNet-18 at 64 px with the data pipeline ran at 17 images/s with the default and 30
 * with {@code OMP_WAIT_POLICY=PASSIVE}, with identical losses. libgomp reads the variable once, when ND4J's natives
 * load, so {@link #preferPassiveWaiting()} must run before the first ND4J call; the command line does it first
 * thing. Library users can call it at start-up or export the variable themselves.
 */
public final class CpuThreads {
    /** libgomp's variable. */
    public static final String WAIT_POLICY = "OMP_WAIT_POLICY";

    private CpuThreads() {
    }

    /** The C library's {@code setenv}, the only way to change a native library's environment from the JVM. */
    private interface C extends Library {
        int setenv(String name, String value, int overwrite);
    }

    /**
     * Sets {@code OMP_WAIT_POLICY=PASSIVE} in the process environment when it is unset (a user's own setting wins).
     *
     * @return whether the variable was set here
     */
    public static boolean preferPassiveWaiting() {
        if (System.getenv(WAIT_POLICY) != null || Platform.isWindows()) {
            return false;
        }
        try {
            C c = Native.loadLibrary("c", C.class);
            return c.setenv(WAIT_POLICY, "PASSIVE", 0) == 0;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false; // no C library to call: keep libgomp's default
        }
    }
}
