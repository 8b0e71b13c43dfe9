package dev.latentserve.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import java.util.List;

/**
 * The residual stack of the VQ-VAE papers' encoders and decoders: blocks x + conv1x1(relu(conv3x3(relu(x)))),
 * then a ReLU. Shared by the one- and two-level models and the bottom prior's conditioning stack.
 */
public final class ResidualStack {

    private ResidualStack() {
    }

    /** {@code blocks} residual blocks over {@code channels} channels, each with a {@code residualChannels} bottleneck. */
    public static SequentialBlock of(int channels, int residualChannels, int blocks) {
        SequentialBlock stack = new SequentialBlock();
        for (int i = 0; i < blocks; i++) {
            SequentialBlock branch = new SequentialBlock()
                    .add(Activation.reluBlock())
                    .add(conv(residualChannels, 3, 1, 1))
                    .add(Activation.reluBlock())
                    .add(conv(channels, 1, 1, 0));
            stack.add(new ParallelBlock(outputs -> new NDList(outputs.get(0).singletonOrThrow().add(outputs.get(1).singletonOrThrow())),
                    List.of(branch, Blocks.identityBlock())));
        }
        return stack.add(Activation.reluBlock());
    }

    /** A square convolution with a bias. */
    public static Conv2d conv(int filters, int kernel, int stride, int padding) {
        return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel)).optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding)).build();
    }
}
