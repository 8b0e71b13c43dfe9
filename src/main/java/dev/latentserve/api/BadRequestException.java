package dev.latentserve.api;

/** A request that cannot be parsed, e.g. a part that is not base64 (HTTP 400). */
public class BadRequestException extends RuntimeException {

    private final String type;
    private final String title;

    public BadRequestException(String type, String title, String detail) {
        super(detail);
        this.type = type;
        this.title = title;
    }

    public String type() {
        return type;
    }

    public String title() {
        return title;
    }
}
