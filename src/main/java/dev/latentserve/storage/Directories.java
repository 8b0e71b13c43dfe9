package dev.latentserve.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folders that appear whole or not at all: contents are written into a staging folder beside the
 * target and published with one atomic rename, so a crash mid-write leaves only staging debris, which
 * {@link #cleanStaging} removes at the next start.
 *
 * <p>Several processes may share the data directory (replicas on one volume). Each staging folder is
 * claimed by an exclusive lock on a {@code <folder>.lock} file beside it, held by the process writing it until
 * the folder is published or deleted; the operating system drops the lock when that process dies. So a
 * replica starting up removes only staging folders whose writer is gone, never one another replica is
 * still filling (which would make that replica's job fail and run again).
 */
public final class Directories {

    private static final Logger log = LoggerFactory.getLogger(Directories.class);
    private static final String STAGING = ".staging";
    private static final String LOCK_SUFFIX = ".lock";
    /** Staging folders without a lock file are left alone this long: a writer may be between mkdir and lock. */
    private static final Duration UNCLAIMED_AGE = Duration.ofMinutes(10);
    private static final Map<Path, FileChannel> CLAIMED = new ConcurrentHashMap<>();

    private Directories() {
    }

    /** A fresh, empty staging folder on the same file system as {@code parent}, claimed by this process. */
    public static Path newStaging(Path parent) throws IOException {
        Path staging = parent.resolve(STAGING).resolve(UUID.randomUUID().toString()).toAbsolutePath();
        Files.createDirectories(staging);
        claim(staging);
        return staging;
    }

    /** Takes the lock that marks {@code staging} (an absolute path) as this process's, until {@link #release}. */
    private static void claim(Path staging) throws IOException {
        FileChannel lock = FileChannel.open(lockFile(staging), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            lock.lock();
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        CLAIMED.put(staging, lock);
    }

    /**
     * Renames {@code staging} to {@code target} atomically.
     *
     * @return false when {@code target} exists already (the staging folder is then removed)
     */
    public static boolean publish(Path staging, Path target) throws IOException {
        if (moveIfAbsent(staging, target)) {
            return true;
        }
        deleteRecursively(staging);
        return false;
    }

    /**
     * Renames {@code staging} to {@code target} atomically unless {@code target} exists; a staging folder that
     * moved is released (its lock dropped).
     *
     * @return false, with {@code staging} left as it was, when {@code target} exists already
     * @throws IOException when the rename fails for another reason (the file system cannot rename atomically,
     *     {@code staging} is gone)
     */
    public static boolean moveIfAbsent(Path staging, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            return false;
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the data directory does not support atomic renames: " + e.getMessage(), e);
        } catch (FileSystemException e) {
            // rename(2) onto a non-empty folder fails with ENOTEMPTY, which the JDK reports as a plain
            // FileSystemException ("Directory not empty"), not as DirectoryNotEmptyException.
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            throw e;
        }
        release(staging);
        return true;
    }

    /**
     * Moves a published folder back to be {@code staging} again (claimed by this process), so a publish whose
     * record could not be written can be tried again without writing the files anew.
     */
    public static void unpublish(Path target, Path staging) throws IOException {
        Path claimed = staging.toAbsolutePath();
        Files.createDirectories(claimed.getParent());
        claim(claimed);
        try {
            Files.move(target, claimed, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            release(claimed);
            throw e;
        }
    }

    /** Moves {@code dir} out of sight atomically, then deletes it; readers see it whole or gone. */
    public static boolean deleteAtomically(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        Path trash = dir.getParent().resolve(STAGING).resolve("deleted-" + UUID.randomUUID());
        Files.createDirectories(trash.getParent());
        try {
            Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
        deleteRecursively(trash);
        return true;
    }

    /**
     * Removes what an interrupted write or delete left under {@code parent}: staging folders whose writing
     * process is gone (their lock is free), and unclaimed debris older than ten minutes. Folders that another
     * live process is writing stay.
     */
    public static void cleanStaging(Path parent) throws IOException {
        Path staging = parent.resolve(STAGING);
        if (!Files.isDirectory(staging)) {
            return;
        }
        Instant cutoff = Instant.now().minus(UNCLAIMED_AGE);
        try (Stream<Path> entries = Files.list(staging)) {
            for (Path entry : entries.toList()) {
                if (entry.getFileName().toString().endsWith(LOCK_SUFFIX)) {
                    continue;
                }
                try {
                    cleanEntry(entry.toAbsolutePath(), cutoff);
                } catch (IOException e) {
                    log.warn("could not remove staging debris {}", entry, e);
                }
            }
        }
        // Lock files whose folder is gone, not claimed by anyone.
        try (Stream<Path> entries = Files.list(staging)) {
            for (Path lock : entries.filter(p -> p.getFileName().toString().endsWith(LOCK_SUFFIX)).toList()) {
                Path folder = staging.resolve(lock.getFileName().toString().replace(LOCK_SUFFIX, "")).toAbsolutePath();
                if (!Files.exists(folder) && !CLAIMED.containsKey(folder)) {
                    deleteIfUnlocked(lock);
                }
            }
        }
    }

    private static void cleanEntry(Path entry, Instant cutoff) throws IOException {
        if (CLAIMED.containsKey(entry)) {
            return;
        }
        Path lockFile = lockFile(entry);
        if (!Files.exists(lockFile)) {
            if (Files.getLastModifiedTime(entry).toInstant().isBefore(cutoff)) {
                deleteRecursively(entry);
            }
            return;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock()) {
            if (lock == null) {
                return; // a live process is writing it
            }
            log.info("removing staging folder {} left by a process that stopped", entry);
            deleteRecursively(entry);
            Files.deleteIfExists(lockFile);
        } catch (OverlappingFileLockException e) {
            // this process holds it
        }
    }

    private static void deleteIfUnlocked(Path lockFile) throws IOException {
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock()) {
            if (lock != null) {
                Files.deleteIfExists(lockFile);
            }
        } catch (OverlappingFileLockException | java.nio.file.NoSuchFileException e) {
            // held here, or removed meanwhile
        }
    }

    private static Path lockFile(Path staging) {
        return staging.resolveSibling(staging.getFileName() + LOCK_SUFFIX);
    }

    /** Drops this process's claim on a staging folder that was published or deleted. */
    private static void release(Path staging) {
        FileChannel lock = CLAIMED.remove(staging.toAbsolutePath());
        if (lock == null) {
            return;
        }
        try {
            Files.deleteIfExists(lockFile(staging.toAbsolutePath()));
            lock.close();
        } catch (IOException e) {
            log.warn("could not release staging lock of {}", staging, e);
        }
    }

    /** Deletes {@code dir} and everything in it; a claimed staging folder is released. */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            release(dir);
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        release(dir);
    }
}
