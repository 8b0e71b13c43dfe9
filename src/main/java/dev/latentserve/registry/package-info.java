/** Model versions on disk (manifests, atomic publish, shipped models) and the cache of loaded ones. */
@NullMarked
package dev.latentserve.registry;

import org.jspecify.annotations.NullMarked;
