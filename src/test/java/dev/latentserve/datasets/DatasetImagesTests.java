package dev.latentserve.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.api.BadRequestException;
import dev.latentserve.config.StorageProperties;
import dev.latentserve.testing.TestFiles;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** {@link DatasetService#image} and {@link DatasetService#grid}: stored pixels back as PNG, read with ImageIO. */
class DatasetImagesTests {

    @TempDir
    Path root;

    private DatasetService service;

    @BeforeEach
    void setUp() throws IOException {
        service = new DatasetService(new StorageProperties(root), new DatasetProperties(8 << 20, 1000, 512,
                root.resolve("no-such-dir")), JsonMapper.builder().findAndAddModules().build());
    }

    @Test
    void anImageOfAUint8DatasetIsItsStoredValuesExactly() throws IOException {
        byte[] pixels = new byte[3 * 256];
        for (int i = 0; i < 256; i++) {
            pixels[i] = (byte) (7 * i);
            pixels[256 + i] = (byte) i; // every 8-bit value once
            pixels[512 + i] = (byte) (255 - i);
        }
        Dataset ramps = service.create(in(TestFiles.npy("|u1", "3, 16, 16", pixels)), "ramps");

        DatasetService.Png png = service.image(ramps.id(), 1);

        assertThat(png.total()).isEqualTo(3);
        Png decoded = Png.of(png.bytes());
        assertThat(decoded.size()).isEqualTo("1x16x16");
        assertThat(decoded.chw()).isEqualTo(unsigned(Arrays.copyOfRange(pixels, 256, 512)));
        assertThat(Png.of(service.image(ramps.id(), 2).bytes()).chw()).isEqualTo(unsigned(Arrays.copyOfRange(pixels, 512, 768)));
    }

    @Test
    void anRgbImageKeepsItsChannels() throws IOException {
        byte[] chw = new byte[2 * 3 * 2 * 2];
        for (int i = 0; i < chw.length; i++) {
            chw[i] = (byte) (10 * i + 5);
        }
        Dataset rgb = service.create(in(TestFiles.npy("|u1", "2, 3, 2, 2", chw)), "rgb");

        Png decoded = Png.of(service.image(rgb.id(), 1).bytes());

        assertThat(decoded.size()).isEqualTo("3x2x2");
        assertThat(decoded.chw()).isEqualTo(unsigned(Arrays.copyOfRange(chw, 12, 24)));
    }

    @Test
    void aFloatDatasetIsScaledTo8BitsAndRounded() throws IOException {
        Dataset floats = service.create(in(TestFiles.npy("<f4", "1, 2, 2", TestFiles.floats(0f, 0.5f, 1f, 100 / 255f))), "f");

        assertThat(Png.of(service.image(floats.id(), 0).bytes()).chw()).containsExactly(0, 128, 255, 100);
    }

    @Test
    void aGridIsColumnsWideWithATwoPixelGapAndHoldsTheImagesInRowOrder() throws IOException {
        Dataset ten = tenFlatImages("ten");

        DatasetService.Png png = service.grid("ten", 1, 7, 3);

        assertThat(png.total()).isEqualTo(10);
        Png grid = Png.of(png.bytes());
        // 3 columns and 3 rows of 8x8 images, 2 pixels apart: 3 * 8 + 2 * 2 = 28 each way.
        assertThat(grid.size()).isEqualTo("1x28x28");
        assertThat(grid.at(3, 3)).as("row 0, column 0: image 1").isEqualTo(20);
        assertThat(grid.at(13, 3)).as("row 0, column 1: image 2").isEqualTo(40);
        assertThat(grid.at(3, 23)).as("row 2, column 0: image 7").isEqualTo(140);
        assertThat(grid.at(13, 23)).as("row 2, column 1: no image").isEqualTo(0);
        assertThat(grid.at(8, 3)).as("the gap").isEqualTo(0);
        assertThat(Png.of(service.grid(ten.id(), 0, 10, 10).bytes()).size()).as("one row").isEqualTo("1x8x98");
        assertThat(Png.of(service.grid(ten.id(), 0, 10, 1).bytes()).size()).as("one column").isEqualTo("1x98x8");
    }

    @Test
    void aGridPastTheEndHoldsTheImagesThatExistInANearSquareByDefault() throws IOException {
        tenFlatImages("ten");

        // 5 images: ceil(sqrt(5)) = 3 columns, 2 rows.
        assertThat(Png.of(service.grid("ten", 5, 64, null).bytes()).size()).isEqualTo("1x18x28");
        // 10 images: 4 columns, 3 rows.
        assertThat(Png.of(service.grid("ten", 0, 64, null).bytes()).size()).isEqualTo("1x28x38");
        Png last = Png.of(service.grid("ten", 9, 64, 8).bytes());
        assertThat(last.size()).as("one image, no gap").isEqualTo("1x8x8");
        assertThat(last.chw()).containsOnly(180);
    }

    @Test
    void aDatasetIsShownTheSameByNameAndById() throws IOException {
        Dataset ten = tenFlatImages("ten");

        assertThat(service.image("ten", 3).bytes()).isEqualTo(service.image(ten.id(), 3).bytes());
        assertThat(service.grid("ten", 2, 5, 2).bytes()).isEqualTo(service.grid(ten.id(), 2, 5, 2).bytes());
    }

    @Test
    void anIndexOutsideTheDatasetIsNotFoundSayingHowManyImagesItHolds() throws IOException {
        tenFlatImages("ten");

        assertThatThrownBy(() -> service.image("ten", 10)).isInstanceOf(DatasetImageNotFoundException.class)
                .hasMessage("dataset 'ten' holds 10 images (indices 0..9); there is none at index=10");
        assertThatThrownBy(() -> service.image("ten", -1)).isInstanceOf(DatasetImageNotFoundException.class)
                .hasMessage("dataset 'ten' holds 10 images (indices 0..9); there is none at index=-1");
        assertThatThrownBy(() -> service.grid("ten", 10, 1, null)).isInstanceOf(DatasetImageNotFoundException.class)
                .hasMessage("dataset 'ten' holds 10 images (indices 0..9); there is none at from=10");
        assertThatThrownBy(() -> service.image("nine", 0)).isInstanceOf(DatasetNotFoundException.class);
        assertThatThrownBy(() -> service.grid("nine", 0, 1, null)).isInstanceOf(DatasetNotFoundException.class);
        service.delete("ten");
        assertThatThrownBy(() -> service.image("ten", 0)).isInstanceOf(DatasetNotFoundException.class);
    }

    @Test
    void aGridOfMorePixelsThanTheLimitIsRefusedSayingHowManyImagesFit() throws IOException {
        // 17 images of 512x512 are 4,456,448 pixels, over the 2^22 a grid holds; 16 fit.
        Dataset large = service.create(in(TestFiles.npy("|u1", "17, 512, 512", new byte[17 * 512 * 512])), "large");

        assertThatThrownBy(() -> service.grid(large.id(), 0, 17, null)).isInstanceOf(BadRequestException.class)
                .hasMessage("count=17 asks for 17 images of 512x512, 4456448 pixels; a grid holds at most 4194304: "
                        + "ask for count=16 or fewer");
        assertThat(Png.of(service.grid(large.id(), 1, 17, null).bytes()).size()).isEqualTo("1x2054x2054");
    }

    /** Ten grey 8x8 images, image n all of value 20 n, stored under {@code name}. */
    private Dataset tenFlatImages(String name) throws IOException {
        byte[] pixels = new byte[10 * 64];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (20 * (i / 64));
        }
        return service.createNamed(in(TestFiles.npy("|u1", "10, 8, 8", pixels)), name);
    }

    private static int[] unsigned(byte[] bytes) {
        int[] values = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            values[i] = bytes[i] & 0xFF;
        }
        return values;
    }

    private static ByteArrayInputStream in(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }

    /** A PNG as ImageIO reads it: its 8-bit samples, channel-major (CHW). */
    record Png(int channels, int height, int width, int[] chw) {

        static Png of(byte[] png) throws IOException {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertThat(image.getColorModel().getComponentSize()).containsOnly(8);
            Raster raster = image.getRaster();
            int channels = raster.getNumBands();
            int[] chw = new int[channels * image.getHeight() * image.getWidth()];
            for (int c = 0, i = 0; c < channels; c++) {
                for (int y = 0; y < image.getHeight(); y++) {
                    for (int x = 0; x < image.getWidth(); x++) {
                        chw[i++] = raster.getSample(x, y, c);
                    }
                }
            }
            return new Png(channels, image.getHeight(), image.getWidth(), chw);
        }

        /** Channels x height x width, as {@link dev.latentserve.image.ImageShape} writes it. */
        String size() {
            return channels + "x" + height + "x" + width;
        }

        /** The first channel's sample at column {@code x}, row {@code y}. */
        int at(int x, int y) {
            return chw[y * width + x];
        }
    }
}
