package dev.latentserve.datasets;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** A dataset exists but holds no image at the index asked for (HTTP 404); the detail says how many it holds. */
public class DatasetImageNotFoundException extends ProblemException {

    /**
     * @param idOrName the dataset as the caller named it
     * @param count the number of images it holds
     * @param parameter the request's name for the index ({@code index}, {@code from})
     */
    public DatasetImageNotFoundException(String idOrName, int count, String parameter, long index) {
        super(HttpStatus.NOT_FOUND, "dataset-image-not-found", "Dataset image not found",
                "dataset '" + idOrName + "' holds " + count + " images (indices 0.." + (count - 1) + "); there is none at "
                        + parameter + "=" + index);
    }
}
