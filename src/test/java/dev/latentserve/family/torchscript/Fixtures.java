package dev.latentserve.family.torchscript;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The TorchScript fixtures: folders in the import format with probe inputs and the outputs PyTorch computed for them,
 * saved as little-endian NumPy arrays (float32 or int64, C order).
 */
final class Fixtures {

    private static final Pattern SHAPE = Pattern.compile("'shape': \\(([^)]*)\\)");
    private static final Pattern DESCR = Pattern.compile("'descr': '([^']*)'");

    private Fixtures() {
    }

    /** The folder of a fixture under {@code src/test/resources/fixtures/}, e.g. {@code torchscript/conv-vae}. */
    static Path folder(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A copy of a fixture's folder in {@code dir}, to be changed by a test. */
    static Path copy(String name, Path dir) throws IOException {
        Path from = folder(name);
        Path to = Files.createDirectories(dir.resolve(from.getFileName()));
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return to;
    }

    /** An array of the fixture's as rows: one float[] per index of its first dimension. */
    static float[][] floatRows(Path file) {
        Array array = read(file, "<f4");
        float[][] rows = new float[(int) array.shape()[0]][array.rowSize()];
        for (float[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = array.data().getFloat();
            }
        }
        return rows;
    }

    /** A float32 array of the fixture's, all its numbers in order. */
    static float[] floats(Path file) {
        return flatten(floatRows(file));
    }

    private static float[] flatten(float[][] rows) {
        float[] flat = new float[rows.length * (rows.length == 0 ? 0 : rows[0].length)];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[i].length, rows[i].length);
        }
        return flat;
    }

    /** An int64 array of the fixture's as rows. */
    static long[][] longRows(Path file) {
        Array array = read(file, "<i8");
        long[][] rows = new long[(int) array.shape()[0]][array.rowSize()];
        for (long[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = array.data().getLong();
            }
        }
        return rows;
    }

    private record Array(long[] shape, ByteBuffer data) {

        int rowSize() {
            return (int) Arrays.stream(shape).skip(1).reduce(1, (a, b) -> a * b);
        }
    }

    private static Array read(Path file, String descr) {
        try {
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            bytes.position(8);
            int length = Short.toUnsignedInt(bytes.getShort());
            byte[] header = new byte[length];
            bytes.get(header);
            String text = new String(header, StandardCharsets.ISO_8859_1);
            Matcher type = DESCR.matcher(text);
            if (!type.find() || !type.group(1).equals(descr) || text.contains("'fortran_order': True")) {
                throw new IllegalArgumentException(file + " is not a C-order " + descr + " array: " + text);
            }
            Matcher shape = SHAPE.matcher(text);
            shape.find();
            long[] dims = Arrays.stream(shape.group(1).split(",")).map(String::strip).filter(s -> !s.isEmpty())
                    .mapToLong(Long::parseLong).toArray();
            return new Array(dims, bytes.slice().order(ByteOrder.LITTLE_ENDIAN));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
