package dev.latentserve.serving;

import dev.latentserve.api.BadRequestException;
import dev.latentserve.family.LoadedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code codes} of a decode request, which JSON gives in one of two forms: a list of grids (VQ-VAE), or an object
 * of two such lists, {@code {"top": [...], "bottom": [...]}} (VQ-VAE-2). Only the form is checked here (HTTP 400 when
 * it is neither); sizes and code ranges are the model's to check.
 */
final class CodeGrids {

    private CodeGrids() {
    }

    /** One level's grids. */
    static List<int[][]> grids(Object value, String path) {
        if (!(value instanceof List<?> list)) {
            throw invalid(path + " must be a list of grids (lists of rows of integer codes)");
        }
        List<int[][]> grids = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            grids.add(grid(list.get(i), path + "[" + i + "]"));
        }
        return grids;
    }

    /** Both levels' grids. */
    static LoadedModel.LevelCodes levels(Map<?, ?> value) {
        if (!value.keySet().equals(Set.of("top", "bottom"))) {
            throw invalid("codes as an object must have exactly the keys top and bottom, not " + value.keySet());
        }
        return new LoadedModel.LevelCodes(grids(value.get("top"), "codes.top").toArray(int[][][]::new),
                grids(value.get("bottom"), "codes.bottom").toArray(int[][][]::new));
    }

    private static int[][] grid(Object value, String path) {
        if (!(value instanceof List<?> rows)) {
            throw invalid(path + " must be a grid: a list of rows of integer codes");
        }
        int[][] grid = new int[rows.size()][];
        for (int r = 0; r < grid.length; r++) {
            if (!(rows.get(r) instanceof List<?> row)) {
                throw invalid(path + "[" + r + "] must be a row: a list of integer codes");
            }
            grid[r] = new int[row.size()];
            for (int c = 0; c < row.size(); c++) {
                if (!(row.get(c) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                        || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
                    throw invalid(path + "[" + r + "][" + c + "] must be an integer code, not " + row.get(c));
                }
                grid[r][c] = n.intValue();
            }
        }
        return grid;
    }

    private static BadRequestException invalid(String detail) {
        return new BadRequestException("invalid-codes", "Malformed codes", detail);
    }
}
