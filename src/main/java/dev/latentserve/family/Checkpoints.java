package dev.latentserve.family;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a training run saves its state (parameters, optimizer moments, position in the data) and finds
 * it again after a crash, so that it resumes instead of starting over.
 */
public interface Checkpoints {

    /** The newest complete checkpoint folder, if an earlier attempt left one. */
    Optional<Path> latest() throws IOException;

    /** Lets {@code writer} fill a fresh folder, then publishes it atomically as the newest checkpoint. */
    void save(long globalStep, Writer writer) throws IOException;

    /** Optimiser steps between checkpoints, besides the one after every epoch; 0 for epoch ends only. */
    long everySteps();

    /**
     * The checkpoints of one phase of a run made of several training loops one after another (the two priors of a
     * VQ-VAE-2), kept apart from the other phases'. A finished phase keeps its last checkpoint, from which a resumed
     * run restores it without training it again.
     */
    default Checkpoints phase(String name) {
        throw new UnsupportedOperationException(getClass().getName() + " has no phases");
    }

    /** Writes one checkpoint's files into a folder. */
    @FunctionalInterface
    interface Writer {
        void write(Path folder) throws IOException;
    }

    /** No checkpoints: for runs that need not survive a crash (tests, benchmarks). */
    static Checkpoints none() {
        return new Checkpoints() {
            @Override
            public Optional<Path> latest() {
                return Optional.empty();
            }

            @Override
            public void save(long globalStep, Writer writer) {
            }

            @Override
            public long everySteps() {
                return 0;
            }

            @Override
            public Checkpoints phase(String name) {
                return this;
            }
        };
    }
}
