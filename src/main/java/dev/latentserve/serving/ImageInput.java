package dev.latentserve.serving;

/** One image in a request: encoded bytes (PNG or JPEG) or raw CHW pixels in [0, 1]. */
public sealed interface ImageInput {

    record Encoded(byte[] bytes) implements ImageInput {
    }

    record Pixels(float[] values) implements ImageInput {
    }
}
