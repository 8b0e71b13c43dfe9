package dev.latentserve.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Staging folders of live writers survive a start-up clean; those of dead writers do not. */
class DirectoriesTests {

    @Test
    void cleaningRemovesOnlyStagingFoldersWhoseWriterIsGone(@TempDir Path root) throws Exception {
        Path ours = Directories.newStaging(root);
        Files.writeString(ours.resolve("part"), "being written here");
        // Another live process's folder: its lock is held (here through a channel this class does not know about).
        Path theirs = Files.createDirectories(root.resolve(".staging/theirs"));
        Files.writeString(theirs.resolve("part"), "being written elsewhere");
        Path dead = Files.createDirectories(root.resolve(".staging/dead"));
        Files.createFile(root.resolve(".staging/dead.lock"));
        Path unclaimedOld = Files.createDirectories(root.resolve(".staging/old"));
        Files.setLastModifiedTime(unclaimedOld, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        Path unclaimedNew = Files.createDirectories(root.resolve(".staging/new"));

        try (FileChannel channel = FileChannel.open(root.resolve(".staging/theirs.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
            Directories.cleanStaging(root);
        }

        assertThat(ours.resolve("part")).hasContent("being written here");
        assertThat(theirs.resolve("part")).hasContent("being written elsewhere");
        assertThat(dead).doesNotExist();
        assertThat(root.resolve(".staging/dead.lock")).doesNotExist();
        assertThat(unclaimedOld).doesNotExist();
        assertThat(unclaimedNew).as("maybe between mkdir and lock").exists();
    }

    @Test
    void publishingReleasesTheClaimAndRefusesATakenTarget(@TempDir Path root) throws Exception {
        Path staging = Directories.newStaging(root);
        Files.writeString(staging.resolve("a"), "1");
        Path taken = Files.createDirectories(root.resolve("target"));
        Files.writeString(taken.resolve("b"), "2");

        assertThat(Directories.moveIfAbsent(staging, taken)).as("non-empty target: ENOTEMPTY").isFalse();
        assertThat(staging.resolve("a")).hasContent("1");
        assertThat(Directories.moveIfAbsent(staging, root.resolve("free"))).isTrue();
        assertThat(root.resolve("free/a")).hasContent("1");
        assertThat(root.resolve(".staging/" + staging.getFileName() + ".lock")).as("claim released").doesNotExist();

        Directories.unpublish(root.resolve("free"), staging);
        assertThat(staging.resolve("a")).hasContent("1");
        Directories.cleanStaging(root);
        assertThat(staging.resolve("a")).as("claimed again by this process").hasContent("1");
        Directories.deleteRecursively(staging);
        assertThat(root.resolve(".staging/" + staging.getFileName() + ".lock")).doesNotExist();
    }
}
