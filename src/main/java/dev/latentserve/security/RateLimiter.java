package dev.latentserve.security;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.stereotype.Component;

/**
 * A token bucket per caller: {@code burst} requests at once, refilled at {@code requestsPerSecond}. In memory, per
 * process: with N replicas behind a gateway a caller gets up to N times the rate (a gateway limit bounds the total).
 */
@Component
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class RateLimiter {

    private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** @return 0 when the request may go ahead, else the nanoseconds until it could */
    public long tryAcquire(String caller, double requestsPerSecond, int burst) {
        return buckets.computeIfAbsent(caller, name -> new Bucket(burst)).take(requestsPerSecond, burst, System.nanoTime());
    }

    private static final class Bucket {
        private double tokens;
        private long updated = System.nanoTime();

        Bucket(int burst) {
            this.tokens = burst;
        }

        synchronized long take(double rate, int burst, long now) {
            tokens = Math.min(burst, tokens + (now - updated) / 1e9 * rate);
            updated = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / rate * 1e9);
        }
    }
}
