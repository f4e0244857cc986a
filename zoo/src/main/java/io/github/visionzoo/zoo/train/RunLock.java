package io.github.visionzoo.zoo.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock of a run directory, so that one process at a time trains in it: an operating-system lock
 * ({@link FileChannel#tryLock()}) on {@value #FILE} in the directory, which holds the process id of its holder. The
 * operating system releases it when the process ends, however it ends, so the file a killed run leaves behind does not
 * block the next one. The lock is the process's: within one process it can be taken again (the command line holds it
 * while it prepares the data, the trainer while it trains), and it is released when the last holder closes it.
 *
 * <pre>{@code
 * try (RunLock lock = RunLock.acquire(runDir)) {
 *     // train into runDir
 * }
 * }</pre>
 */
public final class RunLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);

    /** The lock file in a run directory. */
    public static final String FILE = "run.lock";

    /** Locks this process holds, by real path of the run directory. */
    private static final Map<Path, Held> HELD = new HashMap<>();

    private static final class Held {
        final FileChannel channel;
        final FileLock lock;
        int holders = 1;

        Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }
    }

    /** Thrown when another process holds the lock of a run directory. */
    public static final class InUseException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        InUseException(String message) {
            super(message);
        }
    }

    private final Path dir;
    private boolean closed;

    private RunLock(Path dir) {
        this.dir = dir;
    }

    /**
     * Locks {@code runDir}, creating it when it does not exist. Where the file system cannot lock files, a warning is
     * logged and the run goes on unlocked.
     *
     * @throws InUseException naming the process that holds the lock
     */
    public static synchronized RunLock acquire(Path runDir) {
        Path dir;
        try {
            dir = Files.createDirectories(runDir).toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run directory " + runDir + ": " + e.getMessage(), e);
        }
        Held held = HELD.get(dir);
        if (held != null) {
            held.holders++;
            return new RunLock(dir);
        }
        Path file = dir.resolve(FILE);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw new InUseException("run directory " + runDir + " is in use by " + holder(file)
                        + " (" + FILE + "); wait for it to finish or stop it, or use another run directory");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)),
                    0);
            HELD.put(dir, new Held(channel, lock));
            return new RunLock(dir);
        } catch (IOException e) {
            closeQuietly(channel);
            LOG.warn("cannot lock run directory {} ({}); nothing keeps another process from training in it",
                    runDir, e.toString());
            return new RunLock(null);
        }
    }

    /** "process PID" as the holder wrote it into the lock file, or "another process" before it has. */
    private static String holder(Path file) {
        try {
            String pid = Files.readString(file, StandardCharsets.UTF_8).trim();
            return pid.matches("\\d+") ? "process " + pid : "another process";
        } catch (IOException e) {
            return "another process";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("cannot close a lock file", e);
            }
        }
    }

    /** Releases this hold; the lock itself when it is the process's last. */
    @Override
    public void close() {
        synchronized (RunLock.class) {
            if (closed || dir == null) {
                return;
            }
            closed = true;
            Held held = HELD.get(dir);
            if (--held.holders > 0) {
                return;
            }
            HELD.remove(dir);
            try {
                held.channel.truncate(0); // so the file names no process once none holds it
                held.lock.release();
            } catch (IOException e) {
                LOG.warn("cannot release the lock of run directory {}: {}", dir, e.toString());
            } finally {
                closeQuietly(held.channel);
            }
        }
    }
}
