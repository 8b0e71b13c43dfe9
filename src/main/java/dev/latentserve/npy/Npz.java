package dev.latentserve.npy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/** Reads npz archives ({@code np.savez}, {@code np.savez_compressed}): a zip of {@code name.npy} entries. */
public final class Npz {

    private Npz() {
    }

    /**
     * The archive's arrays by name (the entry's name without {@code .npy}), in the archive's order.
     *
     * @param maxEntries the most entries read
     * @param maxBytes the most bytes all entries may unpack to together, so a small compressed body cannot unpack
     *     into gigabytes
     * @throws NpyException {@code MALFORMED} for bytes that are not a zip, entries that are not npy files or not named
     *     {@code *.npy}, or a name twice; {@code TOO_LARGE} past either bound; what {@link NpyArray#read} throws
     */
    public static Map<String, NpyArray> read(byte[] bytes, int maxEntries, long maxBytes) {
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        long total = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
                if (entry.isDirectory()) {
                    continue;
                }
                if (arrays.size() == maxEntries) {
                    throw new NpyException(NpyException.Kind.TOO_LARGE, "npz archive has more than " + maxEntries + " arrays");
                }
                String name = entry.getName();
                if (!name.endsWith(".npy") || name.length() == 4) {
                    throw NpyException.malformed("npz entry '" + name + "' is not an npy file (name.npy); np.savez writes "
                            + "one per array");
                }
                byte[] npy = zip.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, maxBytes - total + 1));
                total += npy.length;
                if (total > maxBytes) {
                    throw new NpyException(NpyException.Kind.TOO_LARGE, "npz archive unpacks to more than " + maxBytes + " bytes");
                }
                String key = name.substring(0, name.length() - 4);
                NpyArray array;
                try {
                    array = NpyArray.read(npy);
                } catch (NpyException e) {
                    throw new NpyException(e.kind(), "npz entry '" + name + "': " + e.getMessage());
                }
                if (arrays.put(key, array) != null) {
                    throw NpyException.malformed("npz archive holds '" + name + "' twice");
                }
            }
        } catch (ZipException | EOFException e) {
            throw NpyException.malformed("not a readable npz archive (a zip of .npy files, as np.savez writes): "
                    + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayInputStream does not fail otherwise
        }
        if (arrays.isEmpty()) {
            throw NpyException.malformed("npz archive holds no arrays (or is not a zip); np.savez(f, name=arr) writes one");
        }
        return arrays;
    }
}
