package dev.latentserve.serving;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/**
 * A request setting that does not fit the model it was sent to (HTTP 422): {@code k} or {@code samples} for a model whose
 * score is exact, a {@code topK} beyond the codebook. Refused rather than ignored, so that a client learns its setting
 * had no effect.
 */
class InapplicableSettingException extends ProblemException {

    InapplicableSettingException(String detail) {
        super(HttpStatus.UNPROCESSABLE_CONTENT, "inapplicable-setting", "The setting does not fit the model", detail);
    }
}
