package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Adam (Kingma and Ba 2015, algorithm 1) whose state, the moment estimates m and v and the step count
 * per parameter, can be written to and read from a checkpoint: DJL's own Adam keeps them private, so a
 * resumed run would restart the moments from zero. Update, with bias correction:
 * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)}.
 */
public final class Adam extends ai.djl.training.optimizer.Optimizer {

    private final float learningRate;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final Map<String, Moments> moments = new HashMap<>();

    public Adam(float learningRate) {
        this(learningRate, 0.9f, 0.999f, 1e-8f);
    }

    public Adam(float learningRate, float beta1, float beta2, float epsilon) {
        super(new Builder());
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        Moments state = moments.computeIfAbsent(parameterId, id -> new Moments(weight.zerosLike(), weight.zerosLike()));
        state.steps++;
        double correction1 = 1 - Math.pow(beta1, state.steps);
        double correction2 = 1 - Math.pow(beta2, state.steps);
        // Every temporary is created from a scratch-managed scalar so that it is freed with the scratch
        // manager; m, v and the weight are updated in place.
        try (NDManager scratch = weight.getManager().newSubManager()) {
            state.mean.muli(beta1).addi(scratch.create(1 - beta1).mul(grad));
            state.variance.muli(beta2).addi(scratch.create(1 - beta2).mul(grad).mul(grad));
            NDArray denominator = scratch.create((float) (1 / correction2)).mul(state.variance).sqrt().add(epsilon);
            NDArray step = scratch.create((float) (learningRate / correction1)).mul(state.mean).div(denominator);
            weight.subi(step);
        }
        if (weight instanceof PtNDArray torch) {
            JniUtils.zeroGrad(torch);
        }
    }

    /** Writes m, v and t of every parameter of {@code parameters}, in their order. */
    public void save(PairList<String, Parameter> parameters, DataOutputStream out) throws IOException {
        out.writeInt(parameters.size());
        for (Pair<String, Parameter> entry : parameters) {
            Moments state = moments.get(entry.getValue().getId());
            out.writeUTF(entry.getKey());
            out.writeBoolean(state != null);
            if (state != null) {
                out.writeInt(state.steps);
                writeArray(state.mean, out);
                writeArray(state.variance, out);
            }
        }
    }

    /** Restores what {@link #save} wrote, for a block of the same structure. */
    public void load(PairList<String, Parameter> parameters, DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count != parameters.size()) {
            throw new IOException("optimizer state holds " + count + " parameters; the model has " + parameters.size());
        }
        for (Pair<String, Parameter> entry : parameters) {
            String name = in.readUTF();
            if (!name.equals(entry.getKey())) {
                throw new IOException("optimizer state is for parameter " + name + ", expected " + entry.getKey());
            }
            if (in.readBoolean()) {
                NDArray weight = entry.getValue().getArray();
                int steps = in.readInt();
                Moments state = new Moments(readArray(weight, in), readArray(weight, in));
                state.steps = steps;
                moments.put(entry.getValue().getId(), state);
            }
        }
    }

    private static void writeArray(NDArray array, DataOutputStream out) throws IOException {
        byte[] bytes = array.encode();
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static NDArray readArray(NDArray like, DataInputStream in) throws IOException {
        byte[] bytes = in.readNBytes(in.readInt());
        NDArray array = NDArray.decode(like.getManager(), bytes).toDevice(like.getDevice(), false);
        if (!array.getShape().equals(like.getShape())) {
            throw new IOException("optimizer state shape " + array.getShape() + " does not match parameter " + like.getShape());
        }
        return array;
    }

    private static final class Moments {
        private final NDArray mean;
        private final NDArray variance;
        private int steps;

        Moments(NDArray mean, NDArray variance) {
            this.mean = mean;
            this.variance = variance;
        }
    }

    private static final class Builder extends OptimizerBuilder<Builder> {
        @Override
        protected Builder self() {
            return this;
        }
    }
}
