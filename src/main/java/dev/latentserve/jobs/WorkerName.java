package dev.latentserve.jobs;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.springframework.stereotype.Component;

/** This process's name in the job engine and on jobs it runs: host name and process id. */
@Component
class WorkerName {

    private final String value;

    WorkerName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        this.value = (host + "-" + ProcessHandle.current().pid());
    }

    String value() {
        return value.length() > 100 ? value.substring(0, 100) : value;
    }
}
