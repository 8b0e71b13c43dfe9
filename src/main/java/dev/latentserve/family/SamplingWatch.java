package dev.latentserve.family;

/**
 * What one sampling request hears from {@link RasterSampling}'s loop while its codes are drawn, and what it tells the
 * loop back: whether to stop. The loop calls these on the engine's thread between positions, so each must return at
 * once (hand the work to another thread); none may throw.
 */
public interface SamplingWatch {

    /** A request nobody watches: never cancelled, no events. */
    SamplingWatch NONE = new SamplingWatch() {
    };

    /**
     * Polled before every position. Once true, the loop draws nothing more for this request, leaves its rows out of the
     * positions still to come (other requests' codes stay as they are) and calls {@link #stopped} once.
     */
    default boolean cancelled() {
        return false;
    }

    /**
     * The loop let go of this request at {@code position} (0-based, raster order) of {@code level}. A hierarchy's
     * next level lets go of it again, at its first position.
     */
    default void stopped(String level, int position) {
    }

    /**
     * After each position this request drew.
     *
     * @param position positions of this level drawn so far, 1 to {@code positions}
     * @param positions height x width of the level's code map
     */
    default void progress(String level, int position, int positions) {
    }

    /** Rows between {@link #preview} calls; 0 for none. */
    default int previewEvery() {
        return 0;
    }

    /**
     * Every {@link #previewEvery} complete rows, the level's last row excepted: this request's code maps with every
     * position not drawn yet filled by the code the prior found most likely at the last position drawn.
     *
     * @param grids (count, height, width) codes; the caller may keep them
     */
    default void preview(String level, int rows, int[][][] grids) {
    }

    /**
     * The level's code maps are complete (a hierarchy samples the next level given them).
     *
     * @param grids (count, height, width) codes; the caller may keep them
     */
    default void levelDone(String level, int[][][] grids) {
    }
}
