package dev.latentserve.registry;

import java.util.List;

/** A model name with its versions, newest last. */
public record ModelSummary(String name, int latestVersion, String family, List<Integer> versions) {
}
