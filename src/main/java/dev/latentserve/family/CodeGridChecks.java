package dev.latentserve.family;

import dev.latentserve.family.InvalidInferenceInputException.Kind;
import java.util.List;
import java.util.function.IntFunction;

/** Code grids sent by a caller, checked against the model (grid size, codes in [0, K)) and flattened for the engine. */
public final class CodeGridChecks {

    private CodeGridChecks() {
    }

    /**
     * @param name how a message names grid i, e.g. "code grid 3" or "codes.top[3]"
     * @param level the level in messages, e.g. "top " (with its space), or "" for a one-level model
     * @return the codes of every grid, row by row
     * @throws InvalidInferenceInputException saying which grid does not fit, and how
     */
    public static long[] flatten(List<int[][]> grids, int height, int width, int codes, IntFunction<String> name, String level) {
        long[] flat = new long[grids.size() * height * width];
        int at = 0;
        for (int i = 0; i < grids.size(); i++) {
            int[][] grid = grids.get(i);
            if (grid == null || grid.length != height) {
                throw new InvalidInferenceInputException(Kind.INVALID_LATENT, name.apply(i) + " has "
                        + (grid == null ? 0 : grid.length) + " rows; the model's " + level + "grids are " + height + "x" + width);
            }
            for (int[] row : grid) {
                if (row == null || row.length != width) {
                    throw new InvalidInferenceInputException(Kind.INVALID_LATENT, name.apply(i) + " has a row of "
                            + (row == null ? 0 : row.length) + " codes; the model's " + level + "grids are " + height + "x" + width);
                }
                for (int code : row) {
                    if (code < 0 || code >= codes) {
                        throw new InvalidInferenceInputException(Kind.INVALID_LATENT, name.apply(i) + " holds code " + code + "; "
                                + level + "codes must be in [0, " + codes + ")");
                    }
                    flat[at++] = code;
                }
            }
        }
        return flat;
    }
}
