package dev.latentserve.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ArchiveTailTests {

    @Test
    void findsTheEndRecordBehindLongDataAndAComment() throws IOException {
        byte[] comment = "done".getBytes();
        byte[] end = {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) comment.length, 0};
        byte[] data = new byte[200_000];
        Arrays.fill(data, (byte) 7);
        byte[] archive = concat(data, end, comment);
        ArchiveTail tail = new ArchiveTail(new ByteArrayInputStream(archive));
        assertThat(tail.readNBytes(12_345)).hasSize(12_345);
        assertThat(tail.endsWithEndRecord()).isTrue();
        assertThat(new ArchiveTail(new ByteArrayInputStream(Arrays.copyOf(archive, archive.length - 1))).endsWithEndRecord())
                .isFalse();
        assertThat(new ArchiveTail(new ByteArrayInputStream(concat(archive, new byte[] {1}))).endsWithEndRecord()).isFalse();
    }

    private static byte[] concat(byte[]... parts) {
        byte[] all = new byte[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
