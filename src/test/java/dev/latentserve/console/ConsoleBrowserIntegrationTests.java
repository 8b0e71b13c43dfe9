package dev.latentserve.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageData;
import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.util.FileSystemUtils;

/**
 * The console in Debian's headless Chromium, driven as a person would: the key, the sample grid, a new seed,
 * a reconstruction of an uploaded image, a dataset upload, a one-epoch job whose loss chart gains points, and what a
 * bad key shows. Screenshots go to {@code target/console-screenshots}. Without Chromium and chromedriver (a machine
 * that has not run {@code .ci/run}) the tests are skipped, as the Docker ones are without Docker, unless
 * {@code LATENTSERVE_REQUIRE_BROWSER} is set, as CI sets it.
 */
class ConsoleBrowserIntegrationTests extends ApiIntegrationSupport {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

    private WebDriver browser;
    private WebDriverWait wait;
    private Path userData;
    private String screenshotName;

    @BeforeAll
    static void needsTheBrowser() {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (System.getenv("LATENTSERVE_REQUIRE_BROWSER") != null) {
            assertThat(present).as("chromium and chromium-driver are installed (apt-get install chromium chromium-driver)").isTrue();
        }
        Assumptions.assumeTrue(present, "Debian's chromium and chromium-driver are not installed");
    }

    @BeforeEach
    void openTheBrowser(TestInfo test) throws IOException {
        userData = Files.createTempDirectory("console-chromium");
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile()).addArguments("--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-dev-shm-usage", "--user-data-dir=" + userData, "--window-size=1280,800");
        // The driver binary is given, so Selenium Manager never looks for (or downloads) one.
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        screenshotName = test.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void closeTheBrowser() throws IOException {
        if (browser != null) {
            screenshot(screenshotName);
            browser.quit();
        }
        FileSystemUtils.deleteRecursively(userData);
    }

    private void open(String page) {
        browser.get("http://localhost:" + port + "/console/#/" + page);
    }

    private void enterKey(String key) {
        WebElement input = wait.until(ExpectedConditions.elementToBeClickable(By.id("key-input")));
        input.clear();
        input.sendKeys(key);
        browser.findElement(By.cssSelector("#key-form button[type=submit]")).click();
    }

    private void type(By field, String text) {
        WebElement input = browser.findElement(field);
        input.clear();
        input.sendKeys(text);
    }

    private Object script(String code, Object... arguments) {
        return ((JavascriptExecutor) browser).executeScript(code, arguments);
    }

    private void screenshot(String name) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.move(shot, SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private List<WebElement> sampleTiles() {
        return browser.findElements(By.cssSelector(".tiles button img"));
    }

    /** The pixels of every sample tile, read back through a canvas, as one string to compare. */
    private String tilePixels() {
        return (String) script("""
                return [...document.querySelectorAll('.tiles img')].map((img) => {
                  const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
                  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
                  return Array.from(g.getImageData(0, 0, c.width, c.height).data).join(',');
                }).join(';');""");
    }

    @Test
    void aBadKeyAndNoKeySaySoPlainly() {
        open("models");
        WebElement banner = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("banner")));
        wait.until(ExpectedConditions.textToBePresentInElement(banner, "needs an API key"));
        enterKey("not-a-key-of-this-service");
        wait.until(ExpectedConditions.textToBePresentInElement(banner, "does not accept this API key"));
        assertThat(browser.getCurrentUrl()).doesNotContain("not-a-key");
        assertThat(script("return sessionStorage.getItem('latentserve.apiKey')")).isEqualTo("not-a-key-of-this-service");
    }

    @Test
    void samplesAGridAndANewSeedGivesOtherPixels() {
        open("playground/" + MODEL);
        enterKey(Http.ADMIN_KEY);
        wait.until(driver -> sampleTiles().size() == 16
                && sampleTiles().stream().allMatch(img -> (Boolean) script("return arguments[0].complete && arguments[0].naturalWidth === 16", img)));
        String first = tilePixels();
        type(By.xpath("//label[text()='Seed']/following-sibling::input"), "7");
        browser.findElement(By.xpath("//button[text()='Sample']")).click();
        wait.until(driver -> sampleTiles().size() == 16 && !tilePixels().equals(first));
        // A click shows the sample's latent vector.
        browser.findElements(By.cssSelector(".tiles button")).get(2).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Sample 3"));
        assertThat(browser.findElements(By.xpath("//th[starts-with(text(), 'z')]"))).isNotEmpty();
    }

    @Test
    void reconstructsAnUploadedImage() throws IOException {
        Path image = Files.createTempFile("console-image", ".png");
        Files.write(image, TestFiles.png(testImages, 0));
        open("playground/" + MODEL);
        enterKey(Http.ADMIN_KEY);
        WebElement picker = wait.until(driver -> driver.findElements(By.cssSelector(".drop input[type=file]")).stream()
                .findFirst().orElse(null));
        picker.sendKeys(image.toString());
        WebElement pair = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("figure.pair figcaption")));
        assertThat(pair.getText()).contains("MSE").contains("ELBO");
        assertThat(browser.findElements(By.cssSelector("figure.pair img"))).hasSize(2);
        Files.delete(image);
    }

    @Test
    void uploadsADatasetAndTrainsOneEpochWhileTheLossChartGainsPoints() throws IOException {
        ImageData images = SyntheticImages.blobs(SHAPE, 64, 7);
        Path idx = Files.createTempFile("console-dataset", ".idx");
        Files.write(idx, TestFiles.idx(images));
        String name = "console-upload-" + System.nanoTime() % 100_000;

        open("datasets");
        enterKey(Http.ADMIN_KEY);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("name"))).sendKeys(name);
        browser.findElement(By.cssSelector(".drop input[type=file]")).sendKeys(idx.toString());
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Stored " + name + ": 64 images"));
        wait.until(driver -> (Boolean) script("const img = document.querySelector('main section img');"
                + "return img !== null && img.complete && img.naturalWidth > 0"));
        Files.delete(idx);

        open("jobs");
        WebElement model = wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("model")));
        model.clear();
        model.sendKeys("console-vae");
        new Select(browser.findElement(By.name("dataset"))).selectByValue(name);
        new Select(browser.findElement(By.name("testDataset"))).selectByValue(name);
        // The schema's defaults fill the number fields; a person replaces them.
        type(By.name("epochs"), "2");
        type(By.name("batchSize"), "16");
        browser.findElement(By.name("architecture")).sendKeys("{\"channels\": [8], \"hiddenDim\": 16, \"latentDim\": 4}");
        browser.findElement(By.cssSelector("main form button[type=submit]")).click();
        wait.until(ExpectedConditions.urlContains("#/jobs/job-"));
        WebElement chart = wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".chart")));
        wait.until(driver -> "2".equals(chart.getAttribute("data-points")));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "SUCCEEDED"));
        assertThat(browser.findElement(By.cssSelector("progress")).getAttribute("value")).isEqualTo("1");
    }

    @Test
    void showsEveryShippedFamilyWithItsSamplesAndSampleQuality() throws IOException {
        open("models/fashion-vqvae2");
        enterKey(Http.ADMIN_KEY);
        for (String shipped : List.of("fashion-vae", "fashion-vqvae", "fashion-vqvae2")) {
            By strip = By.xpath("//ul[@aria-label='Models']//button[span[text()='" + shipped + "']]//span[@class='strip']/img");
            wait.until(driver -> {
                List<WebElement> thumbnails = driver.findElements(strip);
                return thumbnails.size() == 6 && thumbnails.stream().allMatch(
                        img -> (Boolean) script("return arguments[0].complete && arguments[0].naturalWidth === 28", img));
            });
        }
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Prior training curves"));
        // The shipped VQ-VAE-2's autoencoder trained 4 epochs and its priors 5 each (bin/train-shipped-models).
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".chart[data-points='4']")));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".chart[data-points='5']")));
        List<WebElement> quality = wait.until(driver -> {
            List<WebElement> rows = driver.findElements(By.cssSelector("table.quality tbody tr"));
            return rows.size() == 4 ? rows : null;
        });
        assertThat(browser.findElements(By.cssSelector("table.quality tbody tr.best"))).hasSize(1);
        assertThat(quality.getLast().getText()).startsWith("test images").contains("floor");
        assertThat(quality.subList(0, 3)).extracting(row -> row.getText().split(" ")[0]).containsExactly("0.7", "0.85", "1");
        screenshot("models-every-family");

        open("playground/fashion-vqvae2");
        wait.until(driver -> sampleTiles().size() == 16
                && sampleTiles().stream().allMatch(img -> (Boolean) script("return arguments[0].complete && arguments[0].naturalWidth === 28", img)));
    }

    @Test
    void fitsAPhoneWidthScreen() {
        browser.manage().window().setSize(new Dimension(390, 844));
        open("playground/" + MODEL);
        enterKey(Http.ADMIN_KEY);
        wait.until(driver -> sampleTiles().size() == 16);
        // Nothing wider than the screen: no sideways scrolling of the page.
        assertThat((Long) script("return document.documentElement.scrollWidth")).isLessThanOrEqualTo(
                (Long) script("return window.innerWidth"));
    }
}
