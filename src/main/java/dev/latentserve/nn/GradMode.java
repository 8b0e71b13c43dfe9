package dev.latentserve.nn;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch keeps autograd on or off per thread, and only the engine's start-up thread begins with it
 * off. Serving threads switch it off so that inference records no graph and holds no extra memory.
 *
 * <p>Every training and serving thread comes here before its first model call, so the process-wide
 * {@link OneDnn} check runs here too, before any convolution.
 */
public final class GradMode {

    private static final ThreadLocal<Boolean> DISABLED = ThreadLocal.withInitial(() -> false);

    private GradMode() {
    }

    /**
     * For a training thread before it touches parameters in place (initialisation, checkpoint restore);
     * the gradient collector switches autograd on for each step and off again when it closes.
     */
    public static void disableForTraining() {
        OneDnn.avoidWhereConvolutionsAreWrong();
        if ("PyTorch".equals(Engine.getInstance().getEngineName())) {
            JniUtils.setGradMode(false);
        }
    }

    public static void disableOnThisThread() {
        if (!DISABLED.get() && "PyTorch".equals(Engine.getInstance().getEngineName())) {
            OneDnn.avoidWhereConvolutionsAreWrong();
            JniUtils.setGradMode(false);
            DISABLED.set(true);
        }
    }
}
