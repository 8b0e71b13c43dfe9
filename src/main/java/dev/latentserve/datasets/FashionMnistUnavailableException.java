package dev.latentserve.datasets;

import java.nio.file.Path;

/** Fashion-MNIST is not installed where we look for it (HTTP 409: the server's state, not the request). */
public class FashionMnistUnavailableException extends RuntimeException {

    public FashionMnistUnavailableException(Path dir) {
        super("Fashion-MNIST is not installed at " + dir + " (install Debian's dataset-fashion-mnist, "
                + "or set latentserve.datasets.fashion-mnist-dir)");
    }
}
