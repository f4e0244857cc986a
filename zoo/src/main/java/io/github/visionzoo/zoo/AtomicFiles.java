package io.github.visionzoo.zoo;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes files so that a reader, or a process killed at any moment, sees either the old file or the complete new one:
 * the bytes go to a temporary file in the same folder, which is forced to disk and then renamed over the target in one
 * atomic step; the folder is forced too, so the rename itself survives a power loss where the OS allows it.
 */
public final class AtomicFiles {
    /** Prefix of the temporary files; a run directory may hold leftovers of a killed write, which are ignored. */
    public static final String TEMP_PREFIX = ".tmp-";

    /** What writes the content. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, TEMP_PREFIX + target.getFileName() + "-", "");
        try {
            readableByAll(tmp);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = Channels.newOutputStream(channel);
                writer.write(out);
                out.flush();
                channel.force(true);
            }
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
        forceDirectory(dir);
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Makes {@code target} name the same file as {@code source}: a hard link where the file system has them, else a
     * copy; either way through an atomic rename.
     */
    public static void linkOrCopy(Path source, Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + System.nanoTime());
        try {
            Files.createLink(tmp, source);
        } catch (UnsupportedOperationException | IOException e) {
            write(target, out -> Files.copy(source, out)); // no hard links on this file system
            return;
        }
        try {
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
        forceDirectory(dir);
    }

    /** A temporary file is private (rw-------); what it becomes is an ordinary file (rw-r--r--). */
    private static void readableByAll(Path tmp) throws IOException {
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its default permissions apply
        }
    }

    private static void move(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + target + " cannot rename atomically; put the run directory"
                    + " on a local file system", e);
        }
    }

    /** Forces a folder's entries to disk; a no-op where the OS cannot open folders (Windows). */
    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Windows cannot open a directory as a channel; NTFS renames are journaled anyway.
        }
    }
}
