package io.kuroshio.compat.support;

import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.kurento.client.IceCandidate;
import org.kurento.client.WebRtcEndpoint;

/**
 * A headless Chromium page on the other end of a WebRtcEndpoint, with the test as its application
 * server. The page (resources/browser/peer.js) talks plain HTTP to a small server here: it posts
 * its SDP offer and candidates, long-polls the media server's candidates, and posts what it
 * decodes every 500 ms, which the test waits on. Chromium is started as a plain process with the
 * flags the project's browser tests use (DESIGN.md §5), so no browser driver is needed.
 */
public final class BrowserPeer implements AutoCloseable {
  /** What the page sends and receives. */
  public enum Direction {
    SENDRECV, RECVONLY;

    String query() {
      return name().toLowerCase();
    }
  }

  /** One inbound stream as the page reports it. */
  public record Inbound(long packetsReceived, long framesDecoded, int frameWidth, int frameHeight) {}

  /**
   * The page's report: connection state, its inbound video and audio (null until they exist), and
   * the messages that came back on its data channel.
   */
  public record PageStats(String connectionState, Inbound video, Inbound audio, List<String> dataReceived) {}

  private static final String CHROMIUM = System.getProperty("chromium.path", "/usr/bin/chromium");
  private static final List<String> CHROMIUM_FLAGS = List.of(
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
      // Without it Chromium drops 127.0.0.1 candidates, and these tests run on loopback.
      "--allow-loopback-in-peer-connection",
      "--autoplay-policy=no-user-gesture-required");
  /** How long a candidates long-poll is held open when there is nothing new. */
  private static final long LONG_POLL_MS = 1000;

  private final Gson gson = new Gson();
  private final ExecutorService handlers = Executors.newCachedThreadPool();
  private final HttpServer http;
  private final Path profile;
  private final Path chromiumLog;
  private final Process chromium;

  private final CompletableFuture<String> offer = new CompletableFuture<>();
  private final CompletableFuture<String> answer = new CompletableFuture<>();
  private final List<IceCandidate> serverCandidates = new ArrayList<>();
  private final List<IceCandidate> pageCandidates = new ArrayList<>();
  private final List<String> pageErrors = new ArrayList<>();
  private Consumer<IceCandidate> candidateSink;
  private PageStats latest;

  private BrowserPeer(Direction direction, String dataChannel) throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.setExecutor(handlers);
    http.createContext("/", this::handle);
    http.start();
    profile = Files.createTempDirectory("kuroshio-java-chromium-");
    chromiumLog = profile.resolve("chromium.log");
    String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/peer.html?direction=" + direction.query()
        + (dataChannel == null ? "" : "&datachannel=" + dataChannel);
    List<String> command = new ArrayList<>();
    command.add(CHROMIUM);
    command.addAll(CHROMIUM_FLAGS);
    command.add("--user-data-dir=" + profile.resolve("profile"));
    command.add(url);
    chromium = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(chromiumLog.toFile())
        .start();
  }

  /** Starts Chromium on the peer page; the page offers at once. */
  public static BrowserPeer open(Direction direction) {
    return open(direction, null);
  }

  /** Like {@link #open(Direction)}, with a data channel of this label in the offer. */
  public static BrowserPeer open(Direction direction, String dataChannel) {
    try {
      return new BrowserPeer(direction, dataChannel);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start Chromium (" + CHROMIUM + ")", e);
    }
  }

  /**
   * The tutorials' signalling between this page and {@code endpoint}: candidates both ways (the
   * page's may reach the endpoint before its offer does, which the server must accept), the
   * page's offer answered with processOffer, then gatherCandidates. Returns the SDP answer.
   */
  public String negotiate(WebRtcEndpoint endpoint) {
    endpoint.addIceCandidateFoundListener(event -> addServerCandidate(event.getCandidate()));
    forwardCandidatesTo(endpoint::addIceCandidate);
    String sdpAnswer = endpoint.processOffer(offer());
    answer.complete(sdpAnswer);
    endpoint.gatherCandidates();
    return sdpAnswer;
  }

  /** The page's SDP offer. */
  private String offer() {
    try {
      return offer.get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      return fail("the page made no offer: " + diagnostics(), e);
    }
  }

  /** Queues one of the media server's candidates for the page. */
  private synchronized void addServerCandidate(IceCandidate candidate) {
    serverCandidates.add(candidate);
    notifyAll();
  }

  /** Hands the page's candidates, those already sent and those to come, to {@code sink}. */
  private void forwardCandidatesTo(Consumer<IceCandidate> sink) {
    List<IceCandidate> early;
    synchronized (this) {
      candidateSink = sink;
      early = List.copyOf(pageCandidates);
    }
    early.forEach(sink);
  }

  /** Waits until the page's report satisfies {@code done}, and returns that report. */
  public synchronized PageStats waitForStats(String what, Duration timeout, Predicate<PageStats> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (latest == null || !done.test(latest)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) fail(what + " not seen by the page within " + timeout.toMillis() + " ms; last report " + latest + "; " + diagnostics());
        wait(Math.max(1, left / 1_000_000));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return latest;
  }

  /** Errors the page reported (script errors, failed WebRTC calls). */
  public synchronized List<String> pageErrors() {
    return List.copyOf(pageErrors);
  }

  private String diagnostics() {
    String log;
    try {
      List<String> lines = Files.readAllLines(chromiumLog);
      log = String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      log = "(no Chromium log: " + e.getMessage() + ")";
    }
    return "page errors " + pageErrors() + ", Chromium alive " + chromium.isAlive() + ", Chromium log tail:\n" + log;
  }

  // ---- the page's HTTP side --------------------------------------------------------------------

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      switch (path) {
        case "/peer.html", "/peer.js" -> serveResource(exchange, path);
        case "/offer" -> {
          offer.complete(body);
          respond(exchange, 200, "application/sdp", answer.get(20, TimeUnit.SECONDS));
        }
        case "/candidate" -> {
          JsonObject c = JsonParser.parseString(body).getAsJsonObject();
          onPageCandidate(new IceCandidate(c.get("candidate").getAsString(), c.get("sdpMid").getAsString(),
              c.get("sdpMLineIndex").getAsInt()));
          respond(exchange, 204, "text/plain", null);
        }
        case "/candidates" -> respond(exchange, 200, "application/json", candidatesFrom(exchange.getRequestURI()));
        case "/stats" -> {
          onStats(gson.fromJson(body, PageStats.class));
          respond(exchange, 204, "text/plain", null);
        }
        case "/log" -> {
          synchronized (this) {
            pageErrors.add(JsonParser.parseString(body).getAsJsonObject().get("text").getAsString());
          }
          respond(exchange, 204, "text/plain", null);
        }
        default -> respond(exchange, 404, "text/plain", "not found");
      }
    } catch (Exception e) {
      synchronized (this) {
        pageErrors.add("test server: " + e);
      }
    }
  }

  private void onPageCandidate(IceCandidate candidate) {
    Consumer<IceCandidate> sink;
    synchronized (this) {
      pageCandidates.add(candidate);
      sink = candidateSink;
    }
    if (sink != null) sink.accept(candidate);
  }

  private synchronized void onStats(PageStats stats) {
    latest = stats;
    notifyAll();
  }

  /** Long-polls the server candidates after index {@code from}: answers as soon as there are any. */
  private synchronized String candidatesFrom(URI uri) throws InterruptedException {
    int from = Integer.parseInt(uri.getQuery().replaceFirst("^from=", ""));
    long deadline = System.currentTimeMillis() + LONG_POLL_MS;
    while (serverCandidates.size() <= from && System.currentTimeMillis() < deadline) {
      wait(Math.max(1, deadline - System.currentTimeMillis()));
    }
    JsonArray list = new JsonArray();
    for (IceCandidate c : serverCandidates.subList(Math.min(from, serverCandidates.size()), serverCandidates.size())) {
      JsonObject json = new JsonObject();
      json.addProperty("candidate", c.getCandidate());
      json.addProperty("sdpMid", c.getSdpMid());
      json.addProperty("sdpMLineIndex", c.getSdpMLineIndex());
      list.add(json);
    }
    return list.toString();
  }

  private void serveResource(HttpExchange exchange, String path) throws IOException {
    try (InputStream in = BrowserPeer.class.getResourceAsStream("/browser" + path)) {
      if (in == null) {
        respond(exchange, 404, "text/plain", "not found");
        return;
      }
      String type = path.endsWith(".js") ? "text/javascript" : "text/html";
      respond(exchange, 200, type + "; charset=utf-8", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
    exchange.getResponseHeaders().set("content-type", type);
    exchange.getResponseHeaders().set("cache-control", "no-store");
    if (body == null) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    // Chromium's helper processes (renderer, GPU, utility) are its children: end them too.
    Stream.concat(chromium.descendants(), Stream.of(chromium.toHandle())).forEach(ProcessHandle::destroy);
    try {
      if (!chromium.waitFor(10, TimeUnit.SECONDS)) chromium.destroyForcibly().waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.stop(0);
    handlers.shutdownNow();
    try (Stream<Path> files = Files.walk(profile)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover profile in the temp directory is harmless.
    }
  }
}
