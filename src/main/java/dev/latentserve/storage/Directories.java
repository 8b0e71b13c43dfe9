package dev.latentserve.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Folders that appear whole or not at all: contents are written into a staging folder beside the
 * target and published with one atomic rename, so a crash mid-write leaves only staging debris, which
 * {@link #cleanStaging} removes at the next start.
 */
public final class Directories {

    private static final String STAGING = ".staging";

    private Directories() {
    }

    /** A fresh, empty staging folder on the same file system as {@code parent}. */
    public static Path newStaging(Path parent) throws IOException {
        Path staging = parent.resolve(STAGING).resolve(UUID.randomUUID().toString());
        Files.createDirectories(staging);
        return staging;
    }

    /**
     * Renames {@code staging} to {@code target} atomically.
     *
     * @return false when {@code target} exists already (the staging folder is then removed)
     */
    public static boolean publish(Path staging, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            deleteRecursively(staging);
            return false;
        } catch (AtomicMoveNotSupportedException e) {
            deleteRecursively(staging);
            throw new IOException("the data directory does not support atomic renames: " + e.getMessage(), e);
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

    /** Removes what an interrupted write or delete left under {@code parent}. */
    public static void cleanStaging(Path parent) throws IOException {
        deleteRecursively(parent.resolve(STAGING));
    }

    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
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
    }
}
