package dev.latentserve.config;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.latentserve.nn.OneDnn;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Starts the DJL engine once, offline, on the configured device and thread counts, logs what it got
 * and shows it under {@code /actuator/info}.
 */
@Configuration(proxyBeanMethods = false)
public class EngineConfiguration {

    private static final Logger log = LoggerFactory.getLogger(EngineConfiguration.class);

    @Bean
    Device engineDevice(EngineProperties properties) {
        System.setProperty("ai.djl.offline", "true");
        if (properties.intraOpThreads() > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(properties.intraOpThreads()));
        }
        if (properties.interOpThreads() > 0) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(properties.interOpThreads()));
        }
        Engine engine = Engine.getInstance();
        OneDnn.avoidWhereConvolutionsAreWrong();
        Device device = select(properties.device(), engine);
        log.info("DJL engine {} {} on device {} (GPUs visible: {}), intra-op threads {}, inter-op threads {}, oneDNN {}",
                engine.getEngineName(), engine.getVersion(), device, engine.getGpuCount(),
                System.getProperty("ai.djl.pytorch.num_threads", "default"),
                System.getProperty("ai.djl.pytorch.num_interop_threads", "default"), OneDnn.isEnabled() ? "on" : "off");
        NativeAllocator allocator = NativeAllocator.of(System.getenv());
        if (allocator.advice() != null) {
            log.warn("native allocator: {}; {}", allocator.name(), allocator.advice());
        }
        return device;
    }

    static Device select(String requested, Engine engine) {
        String value = requested.trim().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "auto" -> engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            case "cpu" -> Device.cpu();
            default -> {
                if (!value.startsWith("gpu")) {
                    throw new IllegalStateException("latentserve.engine.device must be auto, cpu, gpu or gpu:N, not " + requested);
                }
                int index = value.equals("gpu") ? 0 : Integer.parseInt(value.substring(4));
                if (index >= engine.getGpuCount()) {
                    throw new IllegalStateException("latentserve.engine.device=" + requested + " but the engine sees "
                            + engine.getGpuCount() + " GPU(s); use auto or cpu, or a CUDA libtorch (see docs/deployment.md, Running on a CUDA GPU)");
                }
                yield Device.gpu(index);
            }
        };
    }

    @Bean
    InfoContributor engineInfo(Device engineDevice) {
        return builder -> {
            Engine engine = Engine.getInstance();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("name", engine.getEngineName());
            info.put("version", engine.getVersion());
            info.put("device", engineDevice.toString());
            info.put("gpuCount", engine.getGpuCount());
            info.put("intraOpThreads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
            info.put("interOpThreads", System.getProperty("ai.djl.pytorch.num_interop_threads", "default"));
            info.put("oneDnn", OneDnn.isEnabled());
            info.put("allocator", NativeAllocator.of(System.getenv()).name());
            builder.withDetail("engine", info);
        };
    }
}
