package dev.latentserve.jobs;

import dev.latentserve.family.Checkpoints;
import dev.latentserve.storage.Directories;
import dev.latentserve.storage.Names;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A job's checkpoints on the data volume, {@code <root>/checkpoints/<job>/step-<n>/}: each is written to a
 * staging folder and renamed into place, so the newest complete one survives a crash at any moment; older
 * ones are deleted once a newer one is in place. Any worker that mounts the volume can resume the job.
 */
final class JobCheckpoints implements Checkpoints {

    private static final String PREFIX = "step-";

    private final Path folder;
    private final long everySteps;

    JobCheckpoints(Path root, String jobId, long everySteps) {
        this(root.resolve(jobId), everySteps);
    }

    private JobCheckpoints(Path folder, long everySteps) {
        this.folder = folder;
        this.everySteps = everySteps;
    }

    /** A phase's checkpoints live in a subfolder, {@code <job>/<phase>/step-<n>/}, deleted with the job's. */
    @Override
    public Checkpoints phase(String name) {
        return new JobCheckpoints(folder.resolve(Names.check("checkpoint phase", name)), everySteps);
    }

    @Override
    public Optional<Path> latest() throws IOException {
        List<Path> all = complete();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
    }

    @Override
    public void save(long globalStep, Writer writer) throws IOException {
        Files.createDirectories(folder);
        Path staging = Directories.newStaging(folder);
        try {
            writer.write(staging);
        } catch (IOException | RuntimeException e) {
            Directories.deleteRecursively(staging);
            throw e;
        }
        Path target = folder.resolve(String.format("%s%012d", PREFIX, globalStep));
        Directories.deleteRecursively(target);
        if (!Directories.publish(staging, target)) {
            throw new IOException("could not publish checkpoint " + target);
        }
        for (Path older : complete()) {
            if (!older.equals(target)) {
                Directories.deleteRecursively(older);
            }
        }
    }

    @Override
    public long everySteps() {
        return everySteps;
    }

    void deleteAll() throws IOException {
        Directories.deleteRecursively(folder);
    }

    private List<Path> complete() throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(p -> p.getFileName().toString().startsWith(PREFIX))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
    }
}
