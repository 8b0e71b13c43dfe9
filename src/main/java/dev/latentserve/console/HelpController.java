package dev.latentserve.console;

import io.swagger.v3.oas.annotations.Hidden;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** The console's help: {@code /console/help/} is the README, {@code /console/help/docs/api.md} a docs page, as HTML. */
@RestController
@Hidden
class HelpController {

    private final HelpPages pages;

    HelpController(HelpPages pages) {
        this.pages = pages;
    }

    @GetMapping("/console/help/{*path}")
    ResponseEntity<byte[]> page(@PathVariable String path) {
        HelpPages.Page page = pages.page(path.startsWith("/") ? path.substring(1) : path);
        return ResponseEntity.ok().contentType(MediaType.parseMediaType(page.mediaType())).body(page.body());
    }
}
