package dev.latentserve.serving;

import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageConversion;
import dev.latentserve.image.ImageShape;
import dev.latentserve.image.InvalidImageException;

/**
 * Encoded request images to a model's input: decoded as displayed, the height and width checked against the model's,
 * then converted to the model's channels (colour to grey by BT.601 luma, grey to colour by repetition) unless
 * {@code strictChannels} asks to refuse a different layout instead.
 */
final class ImageInputDecoder {

    private final int maxSide;
    private final boolean strictChannels;

    ImageInputDecoder(int maxSide, boolean strictChannels) {
        this.maxSide = maxSide;
        this.strictChannels = strictChannels;
    }

    /**
     * @param index the image's place in the request, for messages
     * @return {@code shape.size()} pixels in [0, 1], CHW
     * @throws InvalidInferenceInputException {@code INVALID_IMAGE} for bytes that are not a usable PNG or JPEG,
     *         {@code IMAGE_SHAPE_MISMATCH} for another height or width, or other channels in strict mode
     */
    float[] decode(int index, byte[] bytes, ImageShape shape) {
        ImageCodec.Decoded decoded;
        try {
            decoded = ImageCodec.decode(bytes, maxSide);
        } catch (InvalidImageException e) {
            throw new InvalidInferenceInputException(Kind.INVALID_IMAGE, "image " + index + ": " + e.getMessage());
        }
        ImageShape found = decoded.shape();
        boolean sizeDiffers = found.height() != shape.height() || found.width() != shape.width();
        if (sizeDiffers || (strictChannels && found.channels() != shape.channels())) {
            throw new InvalidInferenceInputException(Kind.IMAGE_SHAPE_MISMATCH, "image " + index + " is " + describe(found)
                    + "; the model takes " + describe(shape)
                    + (sizeDiffers ? "" : " (latentserve.serving.strict-channels is on: images are not converted)"));
        }
        return ImageConversion.toChannels(decoded, shape.channels()).pixels();
    }

    /** Width x height and layout, as users name image sizes: "28x28 grey". */
    static String describe(ImageShape shape) {
        // Width x height, as image tools (PIL's size, ImageMagick) print sizes; said explicitly, as some read h x w.
        return shape.width() + "x" + shape.height() + " (width x height)" + (shape.channels() == 1 ? " grey" : " RGB");
    }
}
