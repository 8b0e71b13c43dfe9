package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The values of every parameter of an initialised block, by name, for checkpoints: restoring copies
 * into the existing arrays, so the trainer and optimiser keep referring to the same parameters.
 */
public final class ParameterSnapshot {

    private ParameterSnapshot() {
    }

    public static void write(Block block, DataOutputStream out) throws IOException {
        out.writeInt(block.getParameters().size());
        for (Pair<String, Parameter> entry : block.getParameters()) {
            out.writeUTF(entry.getKey());
            byte[] bytes = entry.getValue().getArray().encode();
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }

    public static void read(Block block, DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count != block.getParameters().size()) {
            throw new IOException("checkpoint holds " + count + " parameters; the model has " + block.getParameters().size());
        }
        for (Pair<String, Parameter> entry : block.getParameters()) {
            String name = in.readUTF();
            if (!name.equals(entry.getKey())) {
                throw new IOException("checkpoint parameter " + name + " where " + entry.getKey() + " was expected");
            }
            NDArray target = entry.getValue().getArray();
            try (NDArray value = NDArray.decode(target.getManager(), in.readNBytes(in.readInt()))) {
                if (!value.getShape().equals(target.getShape())) {
                    throw new IOException("checkpoint shape " + value.getShape() + " for " + name + " but the model has "
                            + target.getShape());
                }
                target.set(java.nio.FloatBuffer.wrap(value.toFloatArray()));
            }
        }
    }
}
