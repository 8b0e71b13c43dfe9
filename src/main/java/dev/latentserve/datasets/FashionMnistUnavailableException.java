package dev.latentserve.datasets;

import dev.latentserve.api.ProblemException;
import java.nio.file.Path;
import org.springframework.http.HttpStatus;

/** Fashion-MNIST is not installed where we look for it (HTTP 409: the server's state, not the request). */
public class FashionMnistUnavailableException extends ProblemException {

    public FashionMnistUnavailableException(Path dir) {
        super(HttpStatus.CONFLICT, "fashion-mnist-unavailable", "Fashion-MNIST is not installed",
                "Fashion-MNIST is not installed at " + dir + " (install Debian's dataset-fashion-mnist, "
                        + "or set latentserve.datasets.fashion-mnist-dir)");
    }
}
