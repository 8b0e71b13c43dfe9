package dev.latentserve.console;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** No help page (README, docs page, or image of theirs) at the path asked for (HTTP 404). */
class HelpPageNotFoundException extends ProblemException {

    HelpPageNotFoundException(String path) {
        super(HttpStatus.NOT_FOUND, "help-page-not-found", "Help page not found",
                "there is no help page '" + path + "'; the help starts at /console/help/");
    }
}
