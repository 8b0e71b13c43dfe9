package dev.latentserve.datasets;

import dev.latentserve.image.ImageData;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

public final class DatasetTestAccess {
    public static ImageData readIdx(Path path, int limit) throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(path))) {
            ImageData all = IdxFormat.read(in, new UploadLimits(1L << 31, 1_000_000, 512));
            int n = Math.min(limit, all.count());
            return ImageData.ofBytes(all.shape(), Arrays.copyOf(all.uint8(), n * all.shape().size()));
        }
    }
}
