package dev.latentserve.registry;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.jspecify.annotations.Nullable;

/**
 * Unpacks an uploaded zip into a staging folder, refusing what could escape it or fill the disk: entries must be plain
 * file names, at the archive's root or all in one top-level folder (as zipping a folder makes them), unpacked bytes
 * and entries are counted against limits as they stream, and nothing is trusted from the zip's own size fields.
 */
final class ArchiveUnpacker {

    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

    /**
     * Whether {@code name} may name a file of a version: a plain name, no folder, no leading dot.
     */
    static boolean isPlainFileName(String name) {
        return FILE_NAME.matcher(name).matches();
    }

    private final long maxBytes;
    private final int maxEntries;

    /**
     * @param maxBytes most bytes all entries may unpack to
     * @param maxEntries most file entries
     */
    ArchiveUnpacker(long maxBytes, int maxEntries) {
        this.maxBytes = maxBytes;
        this.maxEntries = maxEntries;
    }

    /**
     * The files unpacked, by name, and the SHA-256 of the archive as uploaded.
     *
     * @param sha256 hex digest of every byte read from the upload
     */
    record Unpacked(List<String> files, String sha256) {
    }

    /**
     * Unpacks {@code zip} into {@code target} (an empty folder).
     *
     * @throws InvalidArchiveException for a body that is not a zip, an unsafe, nested, duplicated or oddly named entry
     * @throws ArchiveTooLargeException past the limits
     */
    Unpacked unpack(InputStream zip, Path target) throws IOException {
        MessageDigest digest = sha256();
        DigestInputStream counted = new DigestInputStream(zip, digest);
        List<String> files = new ArrayList<>();
        long total = 0;
        String folder = null;
        try (ZipInputStream entries = new ZipInputStream(counted)) {
            for (ZipEntry entry = entries.getNextEntry(); entry != null; entry = entries.getNextEntry()) {
                if (entry.getName().startsWith("/") || entry.getName().startsWith("\\")) {
                    throw unsafe(entry.getName());
                }
                String[] parts = entry.getName().replace("\\", "/").replaceFirst("^\\./", "").split("/", -1);
                if (entry.isDirectory()) {
                    folder = checkFolder(entry.getName(), parts.length == 2 && parts[1].isEmpty() ? parts[0] : null, folder);
                    continue;
                }
                String name;
                if (parts.length == 1) {
                    name = parts[0];
                    folder = checkFolder(entry.getName(), "", folder);
                } else if (parts.length == 2) {
                    name = parts[1];
                    folder = checkFolder(entry.getName(), parts[0], folder);
                } else {
                    throw unsafe(entry.getName());
                }
                if (!FILE_NAME.matcher(name).matches()) {
                    throw unsafe(entry.getName());
                }
                if (files.contains(name)) {
                    throw new InvalidArchiveException("the archive holds " + name + " twice");
                }
                if (files.size() == maxEntries) {
                    throw new ArchiveTooLargeException("the archive holds more than " + maxEntries
                            + " files (latentserve.registry.max-import-entries)");
                }
                files.add(name);
                total += copy(entries, target.resolve(name), maxBytes - total);
            }
            counted.transferTo(OutputStream.nullOutputStream());
        } catch (ZipException e) {
            throw new InvalidArchiveException("the upload is not a readable zip archive: " + e.getMessage());
        } catch (EOFException e) {
            // The whole upload arrived (Tomcat checks its length); the zip inside it is what ends early.
            throw new InvalidArchiveException("the zip archive ends in the middle of an entry: it was cut short before it was sent");
        }
        if (files.isEmpty()) {
            throw new InvalidArchiveException("the upload is not a zip archive, or an empty one: send the zip that "
                    + "GET /v1/models/{name}/versions/{version}/archive answers, or a PyTorch export (see examples/pytorch)");
        }
        return new Unpacked(List.copyOf(files), HexFormat.of().formatHex(digest.digest()));
    }

    /** The one top-level folder every entry is in ("" for the root), refusing a second one. */
    private static String checkFolder(String entry, @Nullable String folder, @Nullable String seen) {
        if (folder == null || !(folder.isEmpty() || FILE_NAME.matcher(folder).matches())) {
            throw unsafe(entry);
        }
        if (seen != null && !seen.equals(folder)) {
            throw new InvalidArchiveException("the archive's files must all be at its root or all in one folder; '" + entry
                    + "' is not where the others are");
        }
        return folder;
    }

    private long copy(InputStream entry, Path file, long allowed) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int n = entry.read(buffer); n > 0; n = entry.read(buffer)) {
                written += n;
                if (written > allowed) {
                    throw new ArchiveTooLargeException("the archive unpacks to more than " + maxBytes
                            + " bytes (latentserve.registry.max-import-bytes)");
                }
                out.write(buffer, 0, n);
            }
        }
        return written;
    }

    private static InvalidArchiveException unsafe(String entry) {
        return new InvalidArchiveException("archive entry '" + entry + "' is not a plain file name (letters, digits, '.', '_', "
                + "'-'), at the root or in one top-level folder; paths that climb out of the archive are refused");
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
