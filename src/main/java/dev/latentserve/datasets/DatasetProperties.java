package dev.latentserve.datasets;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Limits on dataset uploads and where Fashion-MNIST is imported from.
 *
 * @param maxDecodedBytes the most bytes an upload may expand to (after gzip or zip), the zip-bomb guard
 * @param maxImages the most images in one dataset
 * @param maxSide the largest image height or width
 * @param fashionMnistDir the folder with Debian's dataset-fashion-mnist IDX files
 */
@ConfigurationProperties("latentserve.datasets")
public record DatasetProperties(
        @DefaultValue("1073741824") long maxDecodedBytes,
        @DefaultValue("1000000") int maxImages,
        @DefaultValue("512") int maxSide,
        @DefaultValue("/usr/share/datasets/fashion-mnist") Path fashionMnistDir) {

    UploadLimits limits() {
        return new UploadLimits(maxDecodedBytes, maxImages, maxSide);
    }
}
