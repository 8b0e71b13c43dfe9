package dev.latentserve.family;

import ai.djl.Device;
import dev.latentserve.image.ImageShape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A family whose versions are made outside this service and imported, instead of trained by a job: a folder of files
 * (for example TorchScript modules exported from PyTorch with a descriptor) that {@link #inspect} checks completely
 * before the registry publishes it. The published version is then loaded like any other, through
 * {@link ModelFamily#load} with the architecture {@link #inspect} returned.
 */
public interface Importing {

    /**
     * Checks an imported version folder completely: reads its descriptor, loads its files on {@code device} and runs
     * them on probe batches, so that a version that passes serves every request the others do.
     *
     * @param dir the folder holding the version's files at its top level
     * @return what the version's manifest records, and which of the folder's files make the version
     * @throws InvalidImportException naming the file or field at fault, and the shapes seen against those expected
     * @throws IOException when the folder cannot be read
     */
    Imported inspect(Path dir, Device device) throws IOException;

    /**
     * The files of a published version with {@code architecture}, relative to its folder: those an import brought
     * and those a later job added (such as a fitted prior's parameters). An export archives these.
     */
    List<String> files(Map<String, Object> architecture);

    /**
     * What {@link #inspect} learnt about an imported version.
     *
     * @param inputShape the images the version takes
     * @param architecture what the manifest records as the version's architecture and {@link ModelFamily#load} needs
     * @param latent the version's latent space, for the manifest
     * @param files the folder's files that make the version, relative to it, to be copied into the published version;
     *     other files in the folder are not part of it
     */
    record Imported(ImageShape inputShape, Map<String, Object> architecture, LatentSpec latent, List<String> files) {

        public Imported {
            architecture = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(architecture));
            files = List.copyOf(files);
        }
    }
}
