package dev.latentserve.image;

/** Bytes that are not a usable image: the caller sent something wrong (HTTP 400/422). */
public class InvalidImageException extends RuntimeException {

    public InvalidImageException(String message) {
        super(message);
    }
}
