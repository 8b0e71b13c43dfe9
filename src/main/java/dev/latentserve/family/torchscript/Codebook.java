package dev.latentserve.family.torchscript;

import dev.latentserve.family.InvalidImportException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The codebook {@value #FILE} of an imported VQ-VAE: K code vectors of length D, a float32 NumPy array (K, D) as
 * {@code numpy.save} writes it (little-endian, C or Fortran order).
 *
 * @param vectors K*D numbers, code by code
 */
record Codebook(int codes, int dimension, float[] vectors) {

    static final String FILE = "codebook.npy";
    /** Larger codebooks than this are no VQ-VAE's: its codes would not fit a prior's logits. */
    static final int MAX_CODES = 65_536;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /**
     * Reads {@code dir/codebook.npy}.
     *
     * @throws InvalidImportException when the file is missing, not NPY, not float32, not two-dimensional, or holds a
     *     non-finite number
     */
    static Codebook read(Path dir) throws IOException {
        Path path = dir.resolve(FILE);
        if (!Files.isRegularFile(path)) {
            throw new InvalidImportException("the version has no " + FILE + "; a vqvae holds its codebook as a float32 array "
                    + "(K, D), saved with numpy.save");
        }
        if (Files.size(path) > 1L << 31) {
            throw new InvalidImportException(FILE + " is larger than this service reads (2 GiB)");
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        for (byte b : MAGIC) {
            if (bytes.remaining() == 0 || bytes.get() != b) {
                throw invalid("is not a NumPy .npy file (it does not start with \\x93NUMPY)");
            }
        }
        if (bytes.remaining() < 4) {
            throw invalid("ends inside its header");
        }
        int major = bytes.get();
        bytes.get();
        int headerLength = major == 1 ? Short.toUnsignedInt(bytes.getShort()) : bytes.getInt();
        if (headerLength < 0 || headerLength > bytes.remaining()) {
            throw invalid("ends inside its header");
        }
        byte[] headerBytes = new byte[headerLength];
        bytes.get(headerBytes);
        String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, "descr");
        if (!descr.equals("<f4") && !descr.equals("=f4")) {
            throw invalid("holds '" + descr + "'; it must be float32 ('<f4'): save codebook.astype(numpy.float32)");
        }
        boolean fortran = group(FORTRAN, header, "fortran_order").equals("True");
        String[] dims = group(SHAPE, header, "shape").split(",");
        long[] shape;
        try {
            shape = java.util.Arrays.stream(dims).map(String::strip).filter(d -> !d.isEmpty()).mapToLong(Long::parseLong).toArray();
        } catch (NumberFormatException e) {
            throw invalid("has a header whose shape is not a tuple of integers: " + header.strip());
        }
        if (shape.length != 2) {
            throw invalid("has shape " + java.util.Arrays.toString(shape) + "; it must be (K, D): K codes of D numbers");
        }
        if (shape[0] < 1 || shape[0] > MAX_CODES || shape[1] < 1 || shape[1] > MAX_CODES) {
            throw invalid("has shape (" + shape[0] + ", " + shape[1] + "); K and D must be within 1.." + MAX_CODES);
        }
        int k = (int) shape[0];
        int d = (int) shape[1];
        if (bytes.remaining() != (long) k * d * Float.BYTES) {
            throw invalid("holds " + bytes.remaining() + " bytes of data; shape (" + k + ", " + d + ") of float32 takes "
                    + (long) k * d * Float.BYTES);
        }
        float[] vectors = new float[k * d];
        for (int i = 0; i < vectors.length; i++) {
            float value = bytes.getFloat();
            // Fortran order stores the columns one after the other.
            int at = fortran ? (i % k) * d + i / k : i;
            if (!Float.isFinite(value)) {
                throw invalid("holds " + value + " in code " + at / d + "; every number must be finite");
            }
            vectors[at] = value;
        }
        return new Codebook(k, d, vectors);
    }

    private static String group(Pattern pattern, String header, String key) {
        Matcher matcher = pattern.matcher(header);
        if (!matcher.find()) {
            throw invalid("has a header without '" + key + "': " + header.strip());
        }
        return matcher.group(1);
    }

    private static InvalidImportException invalid(String problem) {
        return new InvalidImportException(FILE + " " + problem);
    }
}
