package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.image.ImageShape;
import dev.latentserve.npy.NpyArray;
import dev.latentserve.npy.NpyException;
import dev.latentserve.npy.NpyWriter;
import dev.latentserve.testing.TestFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Arrays read into images and latents by hand-computed positions, and what is refused. */
class NpyInputsTests {

    private static final ImageShape RGB_2X3 = new ImageShape(3, 2, 3);

    @Test
    void channelsLastImagesLandInChwOrder() {
        // Value at [n, h, w, c] of (2, 2, 3, 3) is its C-order index; CHW position c*6 + h*3 + w must hold it.
        byte[] values = new byte[36];
        for (int i = 0; i < values.length; i++) {
            values[i] = (byte) i;
        }
        float[][] images = NpyInputs.images(NpyArray.read(NpyWriter.uint8(new long[] {2, 2, 3, 3}, values)), RGB_2X3);
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int h = 0; h < 2; h++) {
                    for (int w = 0; w < 3; w++) {
                        int flat = ((n * 2 + h) * 3 + w) * 3 + c;
                        assertThat(images[n][c * 6 + h * 3 + w]).isEqualTo(flat / 255f);
                    }
                }
            }
        }
    }

    @Test
    void channelsFirstWinsWhenAShapeFitsBothWays() {
        ImageShape cube = new ImageShape(3, 3, 3);
        float[] values = new float[27];
        for (int i = 0; i < values.length; i++) {
            values[i] = i / 26f;
        }
        float[][] images = NpyInputs.images(NpyArray.read(NpyWriter.float32(new long[] {1, 3, 3, 3}, values)), cube);
        assertThat(images[0]).containsExactly(values);
    }

    @Test
    void threeDimensionalArraysAreGreyImages() {
        float[] values = {0f, 0.25f, 0.5f, 1f};
        ImageShape grey = new ImageShape(1, 2, 2);
        assertThat(NpyInputs.images(NpyArray.read(NpyWriter.float32(new long[] {1, 2, 2}, values)), grey)[0])
                .containsExactly(values);
        assertThatThrownBy(() -> NpyInputs.images(NpyArray.read(NpyWriter.float32(new long[] {1, 2, 3}, new float[6])), RGB_2X3))
                .isInstanceOfSatisfying(InvalidInferenceInputException.class, e -> assertThat(e.getMessage())
                        .contains("(1, 2, 3)", "send (N, 3, 2, 3) or (N, 2, 3, 3)"));
    }

    @Test
    void badPixelsAreNamedByTheirNumpyIndex() {
        float[] values = new float[4];
        values[3] = Float.NaN;
        assertThatThrownBy(() -> NpyInputs.images(NpyArray.read(NpyWriter.float32(new long[] {1, 2, 2, 1}, values)),
                new ImageShape(1, 2, 2))).isInstanceOfSatisfying(InvalidInferenceInputException.class, e -> {
                    assertThat(e.kind()).isEqualTo(InvalidInferenceInputException.Kind.INVALID_IMAGE);
                    assertThat(e.getMessage()).contains("NaN at index (0, 1, 1, 0)");
                });
        assertThatThrownBy(() -> NpyInputs.images(NpyArray.read(TestFiles.npy(">f4", "1, 2, 2", new byte[16])),
                new ImageShape(1, 2, 2))).isInstanceOfSatisfying(NpyException.class, e -> {
                    assertThat(e.kind()).isEqualTo(NpyException.Kind.UNSUPPORTED_DTYPE);
                    assertThat(e.getMessage()).contains("float32 (big-endian)", "little-endian");
                });
    }

    @Test
    void codesOfAnyIntegerTypeBecomeGridsAndHierarchiesComeAsNpz() {
        LatentSpec.CodeGrid spec = new LatentSpec.CodeGrid(16, 8, List.of(2, 2), "none");
        ByteBuffer int16 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        for (short v = 0; v < 8; v++) {
            int16.putShort(v);
        }
        Latents codes = NpyInputs.latents(Map.of("", NpyArray.read(TestFiles.npy("<i2", "2, 2, 2", int16.array()))), spec);
        assertThat(codes).isInstanceOfSatisfying(Latents.CodeGrids.class, grids -> {
            assertThat(grids.items()).hasSize(2);
            assertThat(grids.items().get(1)).isDeepEqualTo(new int[][] {{4, 5}, {6, 7}});
        });
        ByteBuffer huge = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-1);
        assertThatThrownBy(() -> NpyInputs.latents(Map.of("", NpyArray.read(TestFiles.npy("<u8", "1, 1, 1", huge.array()))), spec))
                .hasMessageContaining("value 18446744073709551615 at index (0, 0, 0) is no code");
        assertThatThrownBy(() -> NpyInputs.latents(Map.of("codes", NpyArray.read(NpyWriter.int32(new long[] {1, 2, 2},
                new int[4]))), spec)).hasMessageContaining("send it as npy");
    }

    @Test
    void gaussianLatentsAreFiniteFloatRows() {
        LatentSpec.Gaussian spec = new LatentSpec.Gaussian(2);
        Latents z = NpyInputs.latents(Map.of("", NpyArray.read(NpyWriter.float32(new long[] {2, 2}, new float[] {1, 2, 3, 4}))),
                spec);
        assertThat(z).isInstanceOfSatisfying(Latents.GaussianVectors.class,
                vectors -> assertThat(vectors.items().get(1)).containsExactly(3f, 4f));
        assertThatThrownBy(() -> NpyInputs.latents(Map.of("", NpyArray.read(NpyWriter.float32(new long[] {1, 1, 2},
                new float[2]))), spec)).hasMessageContaining("has 3 dimensions; this model takes (N, 2) latent vectors");
        ByteBuffer big = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1e300).putDouble(0);
        assertThatThrownBy(() -> NpyInputs.latents(Map.of("", NpyArray.read(TestFiles.npy("<f8", "1, 2", big.array()))), spec))
                .hasMessageContaining("at index (0, 0) is not a finite float32");
    }
}
