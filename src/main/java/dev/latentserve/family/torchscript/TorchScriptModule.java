package dev.latentserve.family.torchscript;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import dev.latentserve.family.InvalidImportException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One TorchScript module of an imported version ({@code encoder.pt} or {@code decoder.pt}), loaded on a device in eval
 * mode and called with one float32 tensor.
 *
 * <p>Its answer is read explicitly as a tensor or a tuple of tensors (DJL would flatten nested tuples and order a dict's
 * entries by hash); anything else fails. The answers are inference tensors: later operations on them must not be in
 * place.
 *
 * <p>Every calling thread runs the module with libtorch's graph executor optimisation off (a per-thread setting). With it
 * on, the profiling executor re-optimises a graph for the first calls with each new input shape, seconds slow, and
 * dynamic batching makes new batch sizes all the time; off, the module runs its graph as exported, the same on every
 * thread from the first call, and no per-thread warm-up is needed.
 */
final class TorchScriptModule {

    private static final ThreadLocal<Boolean> UNOPTIMISED = ThreadLocal.withInitial(() -> false);
    /** The last line of a TorchScript traceback, naming the error as Python would. */
    private static final java.util.regex.Pattern PYTHON_ERROR = java.util.regex.Pattern.compile("[A-Za-z_.]*(Error|Exception): .*");

    private final String file;
    private final Model model;
    private final PtSymbolBlock block;

    private TorchScriptModule(String file, Model model, PtSymbolBlock block) {
        this.file = file;
        this.model = model;
        this.block = block;
    }

    /**
     * Loads {@code dir/file} on {@code device}; the caller closes the returned module's {@link #model()}.
     *
     * @throws InvalidImportException when the file is missing or not a TorchScript module this libtorch loads, with the
     *     first line of libtorch's message
     */
    static TorchScriptModule load(Path dir, String file, Device device) throws IOException {
        Path path = dir.resolve(file);
        if (!Files.isRegularFile(path)) {
            throw new InvalidImportException("the version has no " + file + "; an import holds encoder.pt, decoder.pt and "
                    + Descriptor.FILE + " (and codebook.npy for a vqvae) at its top level");
        }
        Model model = Model.newInstance(file, device, "PyTorch");
        try {
            // mapLocation: a module saved from a GPU loads onto this device.
            model.load(path, null, Map.of("mapLocation", "true"));
            if (!(model.getBlock() instanceof PtSymbolBlock block)) {
                throw new InvalidImportException(file + " is not a TorchScript module");
            }
            JniUtils.enableInferenceMode(block);
            return new TorchScriptModule(file, model, block);
        } catch (MalformedModelException | RuntimeException e) {
            model.close();
            if (e instanceof InvalidImportException invalid) {
                throw invalid;
            }
            throw new InvalidImportException(file + " is not a TorchScript module: " + firstLine(e) + " (this service runs "
                    + "libtorch " + Engine.getEngine("PyTorch").getVersion() + "; save the module with torch.jit.trace or "
                    + "torch.jit.script and torch.jit.save, from a PyTorch no newer than that)");
        }
    }

    String file() {
        return file;
    }

    /** The DJL model that owns the module, to be closed with the version. */
    Model model() {
        return model;
    }

    /**
     * Runs the module's forward on {@code input}; the answers belong to {@code scope}.
     *
     * @return the tensor it answered, or the tensors of the tuple it answered, in order
     * @throws CallFailedException when libtorch fails, or the answer is not a tensor or a tuple of float32 tensors
     */
    List<NDArray> forward(NDManager scope, NDArray input) {
        if (!UNOPTIMISED.get()) {
            JniUtils.setGraphExecutorOptimize(false);
            UNOPTIMISED.set(true);
        }
        PtNDManager manager = (PtNDManager) scope;
        IValue out;
        try (IValue in = IValue.from((PtNDArray) input)) {
            out = block.forward(in);
        } catch (RuntimeException e) {
            throw new CallFailedException(file + " failed: " + firstLine(e));
        }
        try (out) {
            List<NDArray> tensors = new ArrayList<>();
            if (out.isTensor()) {
                tensors.add(out.toTensor(manager));
            } else if (out.isTuple()) {
                IValue[] items = out.toIValueTuple();
                try {
                    for (IValue item : items) {
                        if (!item.isTensor()) {
                            throw new CallFailedException(file + " answers a tuple holding a " + item.getType()
                                    + "; it must answer a tensor or a tuple of tensors");
                        }
                        tensors.add(item.toTensor(manager));
                    }
                } finally {
                    for (IValue item : items) {
                        item.close();
                    }
                }
            } else {
                throw new CallFailedException(file + " answers a " + out.getType() + "; it must answer a tensor or a tuple of tensors");
            }
            for (NDArray tensor : tensors) {
                if (tensor.getDataType() != DataType.FLOAT32) {
                    throw new CallFailedException(file + " answers " + tensor.getDataType().name().toLowerCase(java.util.Locale.ROOT)
                            + " tensors; export it in float32 (module.float() before tracing)");
                }
            }
            return tensors;
        }
    }

    /**
     * A libtorch message without the C++ stack or the TorchScript traceback that follow it: the last line of the form
     * {@code RuntimeError: ...} where a traceback ends in one, else the first line.
     */
    static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        String[] lines = message.split("\n");
        for (int i = lines.length - 1; i > 0; i--) {
            if (PYTHON_ERROR.matcher(lines[i].strip()).matches()) {
                return lines[i].strip();
            }
        }
        return lines[0].strip();
    }

    /** A call to the module that failed, with libtorch's first line or what the answer was instead. */
    static class CallFailedException extends RuntimeException {

        CallFailedException(String message) {
            super(message);
        }
    }
}
