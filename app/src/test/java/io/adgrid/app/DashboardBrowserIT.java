package io.adgrid.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import io.adgrid.app.metrics.MetricsHttpServer;
import io.adgrid.grid.testing.DebianPackages;
import io.adgrid.gateway.server.GatewayServer;
import io.adgrid.persister.embedded.EmbeddedDatabase;
import io.adgrid.app.config.Role;
import io.adgrid.grid.testing.TestDirs;
import io.adgrid.grid.testing.TestPorts;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
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
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The ops dashboard and the campaign report in a real headless Chromium (Debian's chromium and
 * chromium-driver), against the whole product in this JVM: an all-in-one process and a second
 * data member started as {@code ./adgrid node}, on a real PostgreSQL. Screenshots of every state
 * go to {@code target/screenshots/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserIT {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int GRID_PORT = TestPorts.of(5850);

    private static EmbeddedDatabase database;
    private static ConfigurableApplicationContext app;
    private static ConfigurableApplicationContext node;
    private static WebDriver browser;
    private static Path browserProfile;
    private static String gateway;
    private static String reporting;
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startEverything() throws Exception {
        assertThat(DebianPackages.ensure(List.of("chromium", "chromium-driver"), CHROMIUM, CHROMEDRIVER))
                .as("the browser tests need Debian's chromium and chromium-driver (%s, %s): "
                        + "apt-get install -y chromium chromium-driver", CHROMIUM, CHROMEDRIVER)
                .isTrue();
        Files.createDirectories(SCREENSHOTS);
        database = EmbeddedDatabase.startTemporary();
        String cluster = "dashboard-" + UUID.randomUUID();
        String members = "127.0.0.1:" + GRID_PORT + ",127.0.0.1:" + (GRID_PORT + 1) + ",127.0.0.1:" + (GRID_PORT + 2);
        String[] common = {
            "--adgrid.db.url=" + database.settings().url(),
            "--adgrid.db.user=postgres",
            "--adgrid.grid.cluster-name=" + cluster,
            "--adgrid.grid.port=" + GRID_PORT,
            "--adgrid.members=" + members,
            "--adgrid.admin.token=dashboard-test-token",
        };
        app = AdGrid.start(Role.RUN, concat(common, "--adgrid.gateway.port=0", "--server.port=0", "--adgrid.demo=true",
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-dashboard")));
        node = AdGrid.start(Role.NODE, concat(common, "--adgrid.ops.metrics-port=0",
                "--adgrid.var-dir=" + TestDirs.temporary("adgrid-dashboard-node")));
        gateway = "http://127.0.0.1:" + app.getBean(GatewayServer.class).port();
        reporting = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
        assertThat(app.getBean(HazelcastInstance.class).getCluster().getMembers()).hasSize(2);
        browser = startBrowser();
    }

    @AfterAll
    static void stopEverything() {
        if (browser != null) {
            browser.quit();
        }
        if (node != null) {
            node.close();
        }
        if (app != null) {
            app.close();
        }
        if (database != null) {
            database.close();
        }
        deleteQuietly(browserProfile);
    }

    @Test
    @Order(1)
    void dashboardLoadsWithoutConsoleErrorsAndShowsBothMembers() throws IOException {
        browser.get(reporting + "/");

        await("a green status", () -> "ok".equals(attribute("status", "data-level")));
        await("both members in the cluster panel", () -> browser.findElements(By.cssSelector("#members tr")).size() == 2);
        assertThat(text("members-count")).isEqualTo("2");
        assertThat(text("members")).contains("data").contains("gateway").contains("reporting");
        assertThat(browser.findElements(By.cssSelector("canvas"))).hasSize(6);
        await("the rollup job's first run on the card", () -> text("rollup-run").startsWith("last run"));
        // 24-hour time like every other clock of the page (it said "3:35:52 AM" once).
        assertThat(text("rollup-run")).matches("last run \\d{2}:\\d{2}:\\d{2} · .*");
        assertThat(browser.findElement(By.id("card-rollup")).getDomAttribute("class")).doesNotContain("bad");
        assertThat(consoleErrors()).as("browser console errors").isEmpty();
        fullPageScreenshot("dashboard-loaded.png");
    }

    @Test
    @Order(2)
    void numbersMoveOnThePageAfterBeaconsAreSent() throws IOException {
        browser.get(reporting + "/");
        await("the first reading", () -> attribute("totals", "data-accepted") != null);
        long before = Long.parseLong(attribute("totals", "data-accepted"));
        long now = System.currentTimeMillis();
        int accepted = 0;
        for (int i = 0; i < 40; i++) {
            long banner = 3 + 10 * (i % 20); // banners 3, 13, 23, ...: all of campaign 3
            assertThat(get(gateway + "/i?" + Beacons.beacon(banner, 1 + i % 7, now, "dash-imp-" + i)).statusCode()).isEqualTo(200);
            accepted++;
        }
        for (int i = 0; i < 6; i++) {
            // The click of impression i (same b, p, ts, n): a clean click.
            assertThat(get(gateway + "/c?" + Beacons.click(3 + 10 * (i % 20), 1 + i % 7, now, "dash-imp-" + i)).statusCode()).isEqualTo(302);
            accepted++;
        }
        assertThat(post(gateway + "/s?" + Beacons.sale(13, 2, now, "dash-order-1", "19.90")).statusCode()).isEqualTo(202);
        accepted++;
        for (int i = 0; i < 3; i++) {
            String forged = Beacons.beacon(3, 1, now, "dash-bad-" + i).replace("p=1", "p=2");
            assertThat(get(gateway + "/i?" + forged).statusCode()).isEqualTo(403);
        }
        long burst = accepted;
        await("the page to count every accepted event", () -> Long.toString(before + burst).equals(attribute("totals", "data-accepted")));
        await("campaign 3 in the top campaigns", () -> browser.findElements(By.cssSelector("#top-campaigns tr td:first-child"))
                .stream().anyMatch(td -> td.getText().equals("3")));

        // A steady trickle (campaign 7, a few a second) shows as a rate, not only as a total.
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicInteger trickle = new AtomicInteger();
        CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 1_200 && sending.get(); i++) {
                if (get(gateway + "/i?" + Beacons.beacon(7, 1, System.currentTimeMillis(), "dash-trickle-" + i)).statusCode() == 200) {
                    trickle.incrementAndGet();
                }
                pause(Duration.ofMillis(50));
            }
        });
        try {
            await("a non-zero event rate", () -> !text("events-rate").equals("0") && !text("events-rate").equals("–"));
            await("a beacon latency", () -> text("latency-p99").endsWith(" ms"));
        } finally {
            sending.set(false);
            sender.join();
        }
        await("the page to count the trickle too", () -> Long.toString(before + burst + trickle.get()).equals(attribute("totals", "data-accepted")));
        assertThat(text("totals")).contains("3 rejected");
        assertThat(consoleErrors()).as("browser console errors").isEmpty();
        fullPageScreenshot("dashboard-live.png");
    }

    @Test
    @Order(3)
    void everyProcessServesPrometheusMetrics() {
        int nodeMetricsPort = node.getBean(MetricsHttpServer.class).port();
        String nodeMetrics = get("http://127.0.0.1:" + nodeMetricsPort + "/actuator/prometheus").body();
        assertThat(nodeMetrics).contains("adgrid_writebehind_lag_seconds", "adgrid_grid_partitions", "adgrid_grid_dedup_identities",
                "adgrid_process_role{application=\"adgrid\",role=\"node\"} 1.0", "jvm_memory_used_bytes",
                // GC pause timers appear only after a first collection; these are bound at start.
                "jvm_gc_memory_allocated_bytes_total", "jvm_gc_live_data_size_bytes");
        String runMetrics = get(reporting + "/actuator/prometheus").body();
        assertThat(runMetrics).contains("adgrid_gateway_events_total", "adgrid_writebehind_write_latency_seconds_bucket",
                "adgrid_writebehind_write_rows_sum", "adgrid_grid_entries", "adgrid_process_role{application=\"adgrid\",role=\"run\"} 1.0");
        assertThat(get("http://127.0.0.1:" + nodeMetricsPort + "/actuator/health").body()).contains("UP");
    }

    @Test
    @Order(4)
    void reportPageShowsACampaignOverTimeAndOffersItsCsv() throws IOException {
        browser.get(reporting + "/report.html?campaign=3&range=1h&granularity=minute&tz=UTC");
        await("campaign 3's impressions", () -> text("t-impressions").equals("40"));
        assertThat(text("t-reach")).as("no impression carried u yet").isEqualTo("–");
        // five impressions of three users (issue 21): the report shows the campaign's unique reach
        long now = System.currentTimeMillis();
        String[] users = {"ann", "ben", "cy", "ann", "ben"};
        for (int i = 0; i < users.length; i++) {
            java.util.Map<String, String> p = java.util.Map.of("b", "23", "p", "4", "ts", Long.toString(now), "n", "dash-reach-" + i, "u", users[i]);
            assertThat(get(gateway + "/i?" + Beacons.query(Beacons.signed(p))).statusCode()).isEqualTo(200);
        }
        browser.navigate().refresh();

        await("campaign 3's impressions", () -> text("t-impressions").equals("45"));
        await("campaign 3's reach", () -> text("t-reach").equals("3"));
        assertThat(text("t-clicks")).isEqualTo("6");
        assertThat(text("t-ctr")).isEqualTo("13.33 %");
        assertThat(text("t-spend")).as("one sale at the demo's CPA 5.00 for campaign 3").isEqualTo("5.00");
        String csvUrl = browser.findElement(By.id("csv")).getDomProperty("href");
        assertThat(csvUrl).contains("campaign=3").contains("format=csv").contains("granularity=minute");
        HttpResponse<String> csv = get(csvUrl);
        assertThat(csv.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
        assertThat(csv.body()).startsWith("bucket,impressions,clicks,conversions,revenue,ctr,cvr,suspect_clicks,invalid,spend\n");
        assertThat(csv.body().lines().skip(1).mapToLong(l -> Long.parseLong(l.split(",")[1])).sum()).isEqualTo(45);
        assertThat(consoleErrors()).as("browser console errors").isEmpty();
        fullPageScreenshot("report.png");
    }

    @Test
    @Order(5)
    void theBudgetsPanelTurnsACampaignRedOnceItsBudgetIsSpent() throws IOException {
        browser.get(reporting + "/");
        // the demo's budgets: campaign 5 (20.00 a day in New York) and 10 (1,000.00 in all)
        await("the demo's budgeted campaigns", () -> budgetRow(5) != null && budgetRow(10) != null);
        assertThat(budgetRow(5).getText()).contains("pacing").contains("of 20.00");

        // Campaign 4 (the demo's CPM 2.50: 0.0025 an impression) gets 0.01 a day: four impressions.
        HttpResponse<String> set = send(Beacons.request(URI.create(reporting + "/api/v1/admin/catalog/campaigns/4/budget"))
                .header("Authorization", "Bearer dashboard-test-token").header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"daily_micros\":10000,\"time_zone\":\"UTC\"}")).build());
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        await("campaign 4 pacing", () -> budgetRow(4) != null && budgetRow(4).getText().contains("pacing"));
        long now = System.currentTimeMillis();
        for (int i = 0; i < 5; i++) {
            assertThat(get(gateway + "/i?" + Beacons.beacon(4 + 10 * i, 1, now, "dash-budget-" + i)).statusCode()).isEqualTo(200);
        }

        // The panel is drawn again on every reading: each check finds the row anew (CI 38: a row found, then replaced).
        await("campaign 4 exhausted", () -> "exhausted".equals(budgetRow(4).getDomAttribute("class")));
        await("campaign 4 at 0.01 of 0.01, exhausted now", () -> budgetRow(4).getText().contains("0.01 of 0.01")
                && budgetRow(4).getText().contains("now"));
        await("campaign 4: 1 over budget today", () -> budgetRow(4).findElements(By.tagName("td")).get(4).getText().equals("1"));
        await("campaign 4 in red", () -> budgetRow(4).findElement(By.tagName("td")).getCssValue("color").equals("rgba(180, 35, 24, 1)"));
        await("campaign 5 still pacing", () -> "pacing".equals(budgetRow(5).getDomAttribute("class")));
        assertThat(text("budgets-summary")).isEqualTo("3 with a budget · 1 exhausted");
        assertThat(consoleErrors()).as("browser console errors").isEmpty();
        fullPageScreenshot("dashboard-budgets.png");
    }

    /** The budgets panel's row of a campaign, or null. */
    private static WebElement budgetRow(long campaign) {
        List<WebElement> rows = browser.findElements(By.cssSelector("#budgets tr[data-campaign='" + campaign + "']"));
        return rows.isEmpty() ? null : rows.get(0);
    }

    @Test
    @Order(6)
    void dashboardFitsAPhoneSizedWindow() throws IOException {
        browser.manage().window().setSize(new Dimension(390, 844));
        try {
            browser.get(reporting + "/");
            await("a green status", () -> "ok".equals(attribute("status", "data-level")));
            Object overflow = ((JavascriptExecutor) browser).executeScript(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
            assertThat(((Number) overflow).longValue()).as("horizontal overflow in px").isLessThanOrEqualTo(0);
            fullPageScreenshot("dashboard-phone.png");
        } finally {
            browser.manage().window().setSize(new Dimension(1440, 1000));
        }
    }

    @Test
    @Order(7)
    void stoppingPostgreSqlTurnsTheDashboardRed() throws IOException {
        browser.get(reporting + "/");
        await("a green status", () -> "ok".equals(attribute("status", "data-level")));

        database.close();
        database = null;
        long now = System.currentTimeMillis();
        for (int i = 0; i < 10; i++) {
            // Still accepted: the grid keeps the counts until PostgreSQL is back.
            assertThat(get(gateway + "/i?" + Beacons.beacon(5, 1, now, "dash-down-" + i)).statusCode()).isEqualTo(200);
        }

        await("the red state", () -> "red".equals(attribute("status", "data-level")));
        await("PostgreSQL reported unreachable", () -> text("status").contains("PostgreSQL unreachable"));
        assertThat(browser.findElement(By.tagName("body")).getDomAttribute("class")).contains("state-red");
        await("the flush card marked bad", () -> browser.findElement(By.id("card-flush")).getDomAttribute("class").contains("bad"));
        assertThat(text("database-state")).isEqualTo("PostgreSQL DOWN");
        fullPageScreenshot("dashboard-database-down.png");
    }

    private static WebDriver startBrowser() throws IOException {
        browserProfile = TestDirs.temporary("adgrid-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=" + browserProfile, "--window-size=1440,1000");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    private static List<String> consoleErrors() {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .toList();
    }

    private static String text(String id) {
        return browser.findElement(By.id(id)).getText().trim();
    }

    private static String attribute(String id, String name) {
        return browser.findElement(By.id(id)).getDomAttribute(name);
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) {
        new WebDriverWait(browser, WAIT, Duration.ofMillis(200)).withMessage("waiting for " + what)
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(d -> condition.getAsBoolean());
    }

    private static void screenshot(String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    /** The whole page: the window grows to the page's height for the picture, then shrinks back. */
    private static void fullPageScreenshot(String name) throws IOException {
        Dimension size = browser.manage().window().getSize();
        Number height = (Number) ((JavascriptExecutor) browser).executeScript("return document.documentElement.scrollHeight;");
        browser.manage().window().setSize(new Dimension(size.getWidth(), Math.max(size.getHeight(), height.intValue() + 100)));
        try {
            screenshot(name);
        } finally {
            browser.manage().window().setSize(size);
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis()); // pacing of the trickle sender, not a wait for a result
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static HttpResponse<String> get(String url) {
        return send(Beacons.request(URI.create(url)).GET().build());
    }

    private static HttpResponse<String> post(String url) {
        return send(Beacons.request(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String[] concat(String[] first, String... more) {
        String[] out = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, out, first.length, more.length);
        return out;
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // a leftover temporary directory is harmless
        }
    }
}
