package dev.latentserve.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps libtorch's convolutions off oneDNN where oneDNN computes them wrong.
 *
 * <p>oneDNN 3.7.1, inside libtorch 2.7.1, blocks its convolution loops for the cache sizes its copy of Xbyak reads
 * from CPUID. On AMD that is leaf 0x8000001D, which some hypervisors leave all zeros (this project's 2-core AMD EPYC
 * VM does); oneDNN then takes L1, L2 and L3 to be 1 byte each, and the kernels it blocks for that are wrong: the
 * input gradient whenever a convolution's output channels are not a multiple of 16 (8 under AVX2), the output when
 * the input channels are not (and one channels-last shape crashed). The VQ-VAEs, with 8-channel residual and code
 * layers and a 4-channel last phase convolution, got NaN losses within a few steps; the VAE trained on wrong
 * gradients. Rather than guess from CPUID, which Java cannot read, the first use checks a small convolution of 20
 * input channels against its direct sum; where oneDNN gets it wrong, PyTorch's own convolutions run instead: exact,
 * and (one thread, the test VQ-VAE) faster than the mis-blocked oneDNN ones.
 */
public final class OneDnn {

    private static final Logger log = LoggerFactory.getLogger(OneDnn.class);
    private static final int BATCH = 2;
    private static final int IN = 20;
    private static final int OUT = 4;
    private static final int SIZE = 4;
    private static final int KERNEL = 3;
    private static volatile boolean checked;

    private OneDnn() {
    }

    /** Once per process, before the first model call: turns oneDNN off if its convolution is wrong here. */
    public static void avoidWhereConvolutionsAreWrong() {
        if (checked) {
            return;
        }
        synchronized (OneDnn.class) {
            if (!checked && "PyTorch".equals(Engine.getInstance().getEngineName()) && isEnabled() && !convolutionIsExact()) {
                setEnabled(false);
                log.warn("oneDNN convolutions are off: a {}-channel 3x3 convolution came out wrong, as on CPUs whose "
                        + "cache sizes oneDNN cannot read (AMD VMs without CPUID leaf 0x8000001D)", IN);
            }
            checked = true;
        }
    }

    /** Whether libtorch's convolution of a (2, 20, 4, 4) input by a (4, 20, 3, 3) kernel, padding 1, is its direct sum. */
    static boolean convolutionIsExact() {
        float[] x = pattern(BATCH * IN * SIZE * SIZE, 7);
        float[] w = pattern(OUT * IN * KERNEL * KERNEL, 5);
        float[] y;
        try (NDManager scope = NDManager.newBaseManager()) {
            y = Conv2d.conv2d(scope.create(x, new Shape(BATCH, IN, SIZE, SIZE)), scope.create(w, new Shape(OUT, IN, KERNEL, KERNEL)),
                    null, new Shape(1, 1), new Shape(1, 1)).singletonOrThrow().toFloatArray();
        }
        for (int b = 0; b < BATCH; b++) {
            for (int o = 0; o < OUT; o++) {
                for (int i = 0; i < SIZE; i++) {
                    for (int j = 0; j < SIZE; j++) {
                        double sum = 0;
                        for (int c = 0; c < IN; c++) {
                            for (int u = 0; u < KERNEL; u++) {
                                for (int v = 0; v < KERNEL; v++) {
                                    int row = i + u - 1;
                                    int column = j + v - 1;
                                    if (row >= 0 && column >= 0 && row < SIZE && column < SIZE) {
                                        sum += x[((b * IN + c) * SIZE + row) * SIZE + column] * (double) w[((o * IN + c) * KERNEL + u) * KERNEL + v];
                                    }
                                }
                            }
                        }
                        if (!(Math.abs(y[((b * OUT + o) * SIZE + i) * SIZE + j] - sum) <= 1e-4 * (1 + Math.abs(sum)))) {
                            return false;
                        }
                    }
                }
            }
        }
        return true;
    }

    /** Whether libtorch may use oneDNN (its {@code torch.backends.mkldnn.enabled}). */
    public static boolean isEnabled() {
        NativeLibrary libtorch = libtorch();
        int value = libtorch.getFunction("_ZNK2at7Context17userEnabledMkldnnEv").invokeInt(new Object[] {globalContext(libtorch)});
        return (value & 0xff) != 0;
    }

    // DJL binds no switch for oneDNN: call libtorch's at::globalContext().setUserEnabledMkldnn(bool) by its exported
    // symbol; a member function takes the object as its first argument.
    static void setEnabled(boolean enabled) {
        NativeLibrary libtorch = libtorch();
        libtorch.getFunction("_ZN2at7Context20setUserEnabledMkldnnEb").invokeVoid(new Object[] {globalContext(libtorch), enabled});
    }

    private static NativeLibrary libtorch() {
        Engine.getInstance();
        return NativeLibrary.getInstance(Path.of(LibUtils.getLibtorchPath(), System.mapLibraryName("torch_cpu")).toString());
    }

    private static Pointer globalContext(NativeLibrary libtorch) {
        return libtorch.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
    }

    /** Small distinct values in [-1, 1], so that a wrong sum cannot pass for a right one. */
    private static float[] pattern(int count, int step) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = ((i * step) % 23 - 11) / 11f;
        }
        return values;
    }
}
