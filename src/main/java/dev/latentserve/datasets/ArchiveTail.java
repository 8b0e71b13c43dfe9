package dev.latentserve.datasets;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Passes a zip upload through while keeping its last bytes, to check that it ends with the end-of-central-directory
 * record. ZipInputStream reads entry by entry and takes an archive cut between entries, or inside the fixed part of a
 * local header, for its end: without this check such a truncated upload became a smaller dataset, silently.
 */
final class ArchiveTail extends FilterInputStream {

    /** The end record: 22 bytes, then a comment of up to 65,535. */
    private static final int END_RECORD = 22;
    private static final int CAPACITY = END_RECORD + 0xFFFF;

    private final byte[] ring = new byte[CAPACITY];
    private long total;

    ArchiveTail(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            ring[(int) (total++ % CAPACITY)] = (byte) b;
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
            keep(buffer, offset, n);
        }
        return n;
    }

    private void keep(byte[] buffer, int offset, int n) {
        int skipped = Math.max(0, n - CAPACITY);
        total += skipped;
        int from = offset + skipped;
        int left = n - skipped;
        while (left > 0) {
            int at = (int) (total % CAPACITY);
            int chunk = Math.min(left, CAPACITY - at);
            System.arraycopy(buffer, from, ring, at, chunk);
            total += chunk;
            from += chunk;
            left -= chunk;
        }
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] skipped = new byte[(int) Math.min(n, 8192)];
        int read = read(skipped, 0, skipped.length);
        return Math.max(read, 0);
    }

    /** Reads what is left (the central directory) and tells whether the stream ended with a complete end record. */
    boolean endsWithEndRecord() throws IOException {
        byte[] buffer = new byte[8192];
        while (read(buffer, 0, buffer.length) >= 0) {
            // only the tail is kept
        }
        int length = (int) Math.min(total, CAPACITY);
        byte[] tail = new byte[length];
        for (int i = 0; i < length; i++) {
            tail[i] = ring[(int) ((total - length + i) % CAPACITY)];
        }
        for (int at = length - END_RECORD; at >= 0; at--) {
            boolean signature = tail[at] == 'P' && tail[at + 1] == 'K' && tail[at + 2] == 5 && tail[at + 3] == 6;
            int commentLength = (tail[at + 20] & 0xFF) | (tail[at + 21] & 0xFF) << 8;
            if (signature && at + END_RECORD + commentLength == length) {
                return true;
            }
        }
        return false;
    }
}
