package dev.latentserve.datasets;

/** Bounds applied while parsing, so that no upload can make us allocate more than this. */
record UploadLimits(long maxDecodedBytes, int maxImages, int maxSide) {

    void checkImages(long count) {
        if (count > maxImages) {
            throw DatasetFormatException.tooLarge("the upload holds " + count + " images; the limit is " + maxImages);
        }
    }

    void checkDecodedBytes(long bytes) {
        if (bytes > maxDecodedBytes) {
            throw DatasetFormatException.tooLarge("the images take " + bytes + " bytes once decoded; the limit is " + maxDecodedBytes);
        }
    }

    void checkSide(long height, long width) {
        if (height < 1 || width < 1 || height > maxSide || width > maxSide) {
            throw DatasetFormatException.malformed("images are " + height + "x" + width + "; sides must be within 1.." + maxSide);
        }
    }
}
