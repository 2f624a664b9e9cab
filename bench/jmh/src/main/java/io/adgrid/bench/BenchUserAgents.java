package io.adgrid.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A fixed mix of a few hundred distinct User-Agent headers as beacons send them: browsers (Chrome,
 * Edge, Firefox, Safari, Samsung Internet, Opera, in-app browsers; desktop, phones, tablets, across
 * their recent versions) and crawlers, link previewers, monitors and command-line clients. Built
 * from real User-Agent templates over fixed version and device lists, so the same on every run.
 * {@link #zipf} draws a beacon stream over them in which a few User-Agents are most of the traffic.
 */
public final class BenchUserAgents {

    private static final String WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)";
    private static final String[] ANDROID_MODELS = {"SM-G991B", "SM-A515F", "SM-S918B", "SM-A546B", "Pixel 7", "Pixel 6a",
            "Pixel 8 Pro", "Redmi Note 9 Pro", "M2101K6G", "2201117TY", "CPH2211", "moto g(30)", "V2111", "RMX3363",
            "SM-T870", "22101316G"};
    private static final String[] IOS = {"16_6_1", "16_7_10", "17_0", "17_1_2", "17_2_1", "17_3_1", "17_4_1", "17_5_1",
            "17_6_1", "18_0", "18_0_1", "18_1", "18_1_1", "18_2"};

    /**
     * Crawlers, previewers, monitors, scripts, as received. Yauaa 7.31 classes 45 of these 49 as robots;
     * not HeadlessChrome (either), Python-urllib and aiohttp (Desktop or Unknown, so human to KnownRobots).
     */
    private static final List<String> ROBOTS = List.of(
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/130.0.6723.116 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.116 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Googlebot-Image/1.0",
            "AdsBot-Google (+http://www.google.com/adsbot.html)",
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.116 Mobile Safari/537.36 (compatible; AdsBot-Google-Mobile; +http://www.google.com/mobile/adsbot.html)",
            "Mediapartners-Google",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
            "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
            "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
            "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)",
            "Mozilla/5.0 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
            "CCBot/2.0 (https://commoncrawl.org/faq/)",
            "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
            "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36",
            "curl/7.68.0",
            "curl/7.81.0",
            "curl/8.5.0",
            "Wget/1.21.2",
            "python-requests/2.28.1",
            "python-requests/2.31.0",
            "Python-urllib/3.10",
            "aiohttp/3.9.1",
            "Go-http-client/1.1",
            "Go-http-client/2.0",
            "Java/17.0.9",
            "Java-http-client/17.0.12",
            "Apache-HttpClient/4.5.14 (Java/17.0.9)",
            "okhttp/4.12.0",
            "axios/1.6.2",
            "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
            "PostmanRuntime/7.36.0",
            "Scrapy/2.11.0 (+https://scrapy.org)");

    private BenchUserAgents() {
    }

    /** The distinct User-Agents, browsers first, then the robots. */
    public static List<String> distinct() {
        Set<String> out = new LinkedHashSet<>();
        for (int v = 109; v <= 131; v++) {
            out.add("Mozilla/5.0 (Windows NT 10.0; Win64; x64) " + WEBKIT + " Chrome/" + v + ".0.0.0 Safari/537.36");
            out.add("Mozilla/5.0 (Linux; Android 10; K) " + WEBKIT + " Chrome/" + v + ".0.0.0 Mobile Safari/537.36");
        }
        for (int v = 116; v <= 131; v++) {
            out.add("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) " + WEBKIT + " Chrome/" + v + ".0.0.0 Safari/537.36");
            out.add("Mozilla/5.0 (X11; Linux x86_64) " + WEBKIT + " Chrome/" + v + ".0.0.0 Safari/537.36");
            out.add("Mozilla/5.0 (Windows NT 10.0; Win64; x64) " + WEBKIT + " Chrome/" + v + ".0.0.0 Safari/537.36 Edg/" + v
                    + ".0." + (2000 + 13 * v) + "." + (v % 7 * 11 + 3));
            out.add("Mozilla/5.0 (Windows NT 10.0; Win64; x64) " + WEBKIT + " Chrome/" + v + ".0.0.0 Safari/537.36 OPR/"
                    + (v - 16) + ".0.0.0");
        }
        // Older Chrome builds on named Android devices (before the reduced User-Agent).
        for (int i = 0; i < ANDROID_MODELS.length * 4; i++) {
            String model = ANDROID_MODELS[i % ANDROID_MODELS.length];
            int android = 10 + i % 5;
            int v = 100 + i % 12;
            out.add("Mozilla/5.0 (Linux; Android " + android + "; " + model + ") " + WEBKIT + " Chrome/" + v + ".0."
                    + (4896 + 60 * (v - 100)) + "." + (41 + 7 * (i % 9)) + " Mobile Safari/537.36");
        }
        for (int i = 0; i < 12; i++) {
            String model = ANDROID_MODELS[i % 4];
            out.add("Mozilla/5.0 (Linux; Android " + (12 + i % 3) + "; SAMSUNG " + model + ") " + WEBKIT + " SamsungBrowser/"
                    + (20 + i % 6) + ".0 Chrome/" + (106 + 2 * (i % 6)) + ".0.0.0 Mobile Safari/537.36");
        }
        for (int v = 115; v <= 133; v++) {
            out.add("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:" + v + ".0) Gecko/20100101 Firefox/" + v + ".0");
            out.add("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:" + v + ".0) Gecko/20100101 Firefox/" + v + ".0");
            out.add("Mozilla/5.0 (X11; Linux x86_64; rv:" + v + ".0) Gecko/20100101 Firefox/" + v + ".0");
            out.add("Mozilla/5.0 (Android 14; Mobile; rv:" + v + ".0) Gecko/" + v + ".0 Firefox/" + v + ".0");
        }
        String[] safari = {"16.6", "17.0", "17.1", "17.2", "17.3", "17.4", "17.5", "17.6", "18.0", "18.1", "18.2"};
        for (String v : safari) {
            out.add("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/" + v
                    + " Safari/605.1.15");
        }
        for (String os : IOS) {
            String version = os.replaceFirst("_(\\d+).*", ".$1");
            out.add("Mozilla/5.0 (iPhone; CPU iPhone OS " + os + " like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/"
                    + version + " Mobile/15E148 Safari/604.1");
            out.add("Mozilla/5.0 (iPad; CPU OS " + os + " like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/"
                    + version + " Mobile/15E148 Safari/604.1");
            out.add("Mozilla/5.0 (iPhone; CPU iPhone OS " + os + " like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/"
                    + (120 + os.length()) + ".0.6099.119 Mobile/15E148 Safari/604.1");
            out.add("Mozilla/5.0 (iPhone; CPU iPhone OS " + os + " like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
                    + " [FBAN/FBIOS;FBAV/" + (440 + os.length()) + ".0.0.35.111;FBBV/" + (560000000 + 1009 * os.length())
                    + ";FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/" + os.replace('_', '.') + ";FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]");
            out.add("Mozilla/5.0 (iPhone; CPU iPhone OS " + os + " like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
                    + " Instagram 3" + (10 + os.length()) + ".0.3.27.111 (iPhone13,2; iOS " + os + "; en_US; en; scale=3.00; 1170x2532; 5"
                    + (50000000 + os.length()) + ")");
        }
        out.addAll(ROBOTS);
        return List.copyOf(out);
    }

    /** The robots' share of {@link #distinct()}: its last this many. */
    public static int robots() {
        return ROBOTS.size();
    }

    /**
     * A stream of {@code length} beacons' User-Agents (as the bytes of the header) drawn from
     * {@code userAgents} with Zipf-like weights 1/rank (exponent 1); the ranks are the list in an
     * order shuffled with {@code seed}, so robots and browsers are spread over them.
     */
    public static byte[][] zipf(List<String> userAgents, int length, long seed) {
        List<String> ranked = new ArrayList<>(userAgents);
        Collections.shuffle(ranked, new Random(seed));
        double[] cumulative = new double[ranked.size()];
        double sum = 0;
        for (int r = 0; r < ranked.size(); r++) {
            sum += 1.0 / (r + 1);
            cumulative[r] = sum;
        }
        byte[][] bytes = new byte[ranked.size()][];
        for (int r = 0; r < ranked.size(); r++) {
            bytes[r] = ranked.get(r).getBytes(StandardCharsets.ISO_8859_1);
        }
        SplittableRandom random = new SplittableRandom(seed);
        byte[][] stream = new byte[length][];
        for (int i = 0; i < length; i++) {
            double u = random.nextDouble() * sum;
            int at = java.util.Arrays.binarySearch(cumulative, u);
            stream[i] = bytes[at >= 0 ? at : Math.min(-at - 1, ranked.size() - 1)];
        }
        return stream;
    }
}
