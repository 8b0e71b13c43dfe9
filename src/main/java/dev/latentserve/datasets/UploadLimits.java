package dev.latentserve.datasets;

/** Bounds applied while parsing, so that no upload can make us allocate more than this. */
record UploadLimits(long maxDecodedBytes, int maxImages, int maxSide) {

    void checkImages(long count) {
        if (count > maxImages) {
            throw DatasetFormatException.tooLarge("the upload holds " + count + " images; the limit is " + maxImages);
        }
    }

    /** Java arrays hold at most about 2^31 elements, whatever {@code maxDecodedBytes} allows. */
    static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

    void checkDecodedBytes(long bytes) {
        long limit = Math.min(maxDecodedBytes, MAX_ARRAY_BYTES);
        if (bytes > limit) {
            throw DatasetFormatException.tooLarge("the images take " + bytes + " bytes once decoded; the limit is " + limit);
        }
    }

    void checkSide(long height, long width) {
        if (height < 1 || width < 1 || height > maxSide || width > maxSide) {
            throw DatasetFormatException.malformed("images are " + height + "x" + width + "; sides must be within 1.." + maxSide);
        }
    }
}
