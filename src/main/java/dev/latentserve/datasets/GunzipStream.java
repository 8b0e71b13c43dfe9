package dev.latentserve.datasets;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Gunzips an upload. A corrupt or truncated gzip stream is the uploader's doing, so it becomes a
 * {@link DatasetFormatException} (422), not an I/O error (500), wherever in the stream the parser meets it.
 */
final class GunzipStream extends FilterInputStream {

    private GunzipStream(InputStream in) {
        super(in);
    }

    static InputStream open(InputStream gzipped) throws IOException {
        try {
            return new GunzipStream(new GZIPInputStream(gzipped));
        } catch (ZipException | EOFException e) {
            throw corrupt(e);
        }
    }

    @Override
    public int read() throws IOException {
        try {
            return super.read();
        } catch (ZipException | EOFException e) {
            throw corrupt(e);
        }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        try {
            return super.read(buffer, offset, length);
        } catch (ZipException | EOFException e) {
            throw corrupt(e);
        }
    }

    @Override
    public long skip(long n) throws IOException {
        try {
            return super.skip(n);
        } catch (ZipException | EOFException e) {
            throw corrupt(e);
        }
    }

    private static DatasetFormatException corrupt(IOException e) {
        return DatasetFormatException.malformed(e instanceof EOFException ? "gzip stream is truncated"
                : "gzip stream is corrupt: " + e.getMessage());
    }
}
