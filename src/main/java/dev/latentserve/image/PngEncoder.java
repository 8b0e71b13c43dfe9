package dev.latentserve.image;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A minimal PNG writer (PNG specification, third edition): 8-bit greyscale or RGB, no interlace, one IDAT chunk,
 * the Sub filter on every row and zlib at its fastest level. Serving encodes thousands of small images a second;
 * ImageIO's general writer spent more time per 28x28 image than the model did (service lookup, metadata, a new
 * deflater each call), so this writes the four chunks directly and reuses deflaters.
 */
final class PngEncoder {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int FILTER_SUB = 1;
    private static final int COLOUR_GREY = 0;
    private static final int COLOUR_RGB = 2;
    private static final int POOLED_DEFLATERS = 2 * Runtime.getRuntime().availableProcessors();
    private static final ConcurrentLinkedQueue<Deflater> DEFLATERS = new ConcurrentLinkedQueue<>();

    private PngEncoder() {
    }

    /**
     * @param samples {@code height} rows of {@code width * channels} bytes, channels interleaved (RGB) per pixel
     * @param channels 1 (grey) or 3 (RGB)
     */
    static byte[] encode(int width, int height, int channels, byte[] samples) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("PNG channels must be 1 or 3, not " + channels);
        }
        int stride = width * channels;
        if (samples.length != stride * height) {
            throw new IllegalArgumentException("expected " + stride * height + " samples, got " + samples.length);
        }
        byte[] filtered = new byte[(stride + 1) * height];
        for (int y = 0, in = 0, out = 0; y < height; y++) {
            filtered[out++] = FILTER_SUB;
            // Sub: each byte minus the same channel of the pixel to its left (0 left of the first pixel), mod 256.
            for (int x = 0; x < stride; x++, in++) {
                filtered[out++] = (byte) (samples[in] - (x >= channels ? samples[in - channels] : 0));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream(64 + filtered.length / 2);
        png.writeBytes(SIGNATURE);
        byte[] header = new byte[13];
        putInt(header, 0, width);
        putInt(header, 4, height);
        header[8] = 8;
        header[9] = (byte) (channels == 1 ? COLOUR_GREY : COLOUR_RGB);
        chunk(png, "IHDR", header);
        chunk(png, "IDAT", deflate(filtered));
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static byte[] deflate(byte[] data) {
        Deflater deflater = DEFLATERS.poll();
        if (deflater == null) {
            deflater = new Deflater(Deflater.BEST_SPEED);
        }
        try {
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
            byte[] buffer = new byte[Math.max(256, data.length)];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.reset();
            if (DEFLATERS.size() < POOLED_DEFLATERS) {
                DEFLATERS.offer(deflater);
            } else {
                deflater.end();
            }
        }
    }

    /** Length, type, data and the CRC-32 of type and data. */
    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        byte[] word = new byte[4];
        putInt(word, 0, data.length);
        png.writeBytes(word);
        png.writeBytes(typeBytes);
        png.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        putInt(word, 0, (int) crc.getValue());
        png.writeBytes(word);
    }

    private static void putInt(byte[] target, int at, int value) {
        target[at] = (byte) (value >>> 24);
        target[at + 1] = (byte) (value >>> 16);
        target[at + 2] = (byte) (value >>> 8);
        target[at + 3] = (byte) value;
    }
}
