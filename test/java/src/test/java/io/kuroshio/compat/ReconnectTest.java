package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.Errors;
import io.kuroshio.compat.support.EventQueue;
import io.kuroshio.compat.support.Kms;
import io.kuroshio.compat.support.TcpProxy;
import io.kuroshio.compat.support.Wait;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.kurento.client.ElementConnectedEvent;
import org.kurento.client.KurentoClient;
import org.kurento.client.KurentoConnectionListener;
import org.kurento.client.MediaObject;
import org.kurento.client.MediaPipeline;
import org.kurento.client.MediaType;
import org.kurento.client.PassThrough;

/**
 * The Java client's reconnection: when its socket drops it reconnects on its own and sends
 * {@code connect} with its session id; the server must resume that session, so objects,
 * subscriptions and event delivery carry on. And what a client's destroy() releases.
 */
class ReconnectTest {
  /** Records the client's connection events. */
  private static final class Listener implements KurentoConnectionListener {
    final CompletableFuture<Boolean> reconnected = new CompletableFuture<>();

    @Override
    public void connected() {}

    @Override
    public void connectionFailed() {}

    @Override
    public void disconnected() {}

    @Override
    public void reconnected(boolean sameServer) {
      reconnected.complete(sameServer);
    }
  }

  /** A client connected through a relay to the server under test, with its connection events. */
  private record Relayed(TcpProxy relay, Listener listener, KurentoClient kurento) implements AutoCloseable {
    static Relayed open() throws IOException {
      TcpProxy relay = new TcpProxy(Kms.url());
      Listener listener = new Listener();
      return new Relayed(relay, listener, KurentoClient.create(relay.url(), listener));
    }

    @Override
    public void close() throws IOException {
      kurento.destroy();
      relay.close();
    }
  }

  @Test
  void afterItsSocketDropsTheClientResumesTheSameSession() throws Exception {
    try (Relayed client = Relayed.open()) {
      TcpProxy proxy = client.relay();
      Listener listener = client.listener();
      KurentoClient kurento = client.kurento();
      MediaPipeline pipeline = kurento.createMediaPipeline();
      String session = kurento.getSessionId();
      PassThrough source = new PassThrough.Builder(pipeline).build();
      PassThrough sink = new PassThrough.Builder(pipeline).build();
      EventQueue<ElementConnectedEvent> connected = new EventQueue<>("ElementConnected");
      source.addElementConnectedListener(connected);
      source.connect(sink, MediaType.AUDIO);
      assertEquals(MediaType.AUDIO, connected.next().getMediaType());

      proxy.cut();
      assertTrue(listener.reconnected.get(15, TimeUnit.SECONDS), "reconnected(sameServer)");
      assertEquals(2, proxy.connectionsAccepted());
      assertEquals(session, kurento.getSessionId());
      assertTrue(kurento.getServerManager().getSessions().contains(session));

      // Objects made before the drop still answer, through the new socket...
      assertEquals(pipeline.getId(), pipeline.getName());
      List<MediaObject> children = pipeline.getChildren();
      assertEquals(2, children.size());
      // ...and the subscription made before it still delivers.
      source.connect(sink, MediaType.VIDEO);
      ElementConnectedEvent event = connected.next();
      assertEquals(MediaType.VIDEO, event.getMediaType());
      assertEquals(sink, event.getSink());
      pipeline.release();
    }
  }

  @Test
  void aServerThatLostTheSessionGetsTheClientANewOne() throws Exception {
    String other = Kms.otherServerUrl().orElse(null);
    Assumptions.assumeTrue(other != null, "no second server (kuroshio.otherServer) in this run");
    try (Relayed client = Relayed.open()) {
      TcpProxy proxy = client.relay();
      Listener listener = client.listener();
      KurentoClient kurento = client.kurento();
      MediaPipeline old = kurento.createMediaPipeline();
      String session = kurento.getSessionId();

      // The next connection reaches a server that never saw the session, as after a restart:
      // `connect {sessionId}` is refused with 40007 and the client connects to a new session.
      proxy.retarget(other);
      proxy.cut();
      assertEquals(false, listener.reconnected.get(15, TimeUnit.SECONDS), "reconnected(sameServer)");
      assertNotEquals(session, kurento.getSessionId());
      assertTrue(kurento.getSessionId().matches("[0-9a-f-]{36}"), kurento.getSessionId());
      Errors.expect(40101, "MEDIA_OBJECT_NOT_FOUND", old::getName);
      MediaPipeline fresh = kurento.createMediaPipeline();
      assertEquals(fresh.getId(), fresh.getName());
      fresh.release();
    }
  }

  @Test
  void heartbeatsKeepTheConnection() throws Exception {
    try (Relayed client = Relayed.open()) {
      TcpProxy proxy = client.relay();
      Listener listener = client.listener();
      KurentoClient kurento = client.kurento();
      MediaPipeline pipeline = kurento.createMediaPipeline();
      // The suite runs the client with a 1 s heartbeat (pom.xml): an idle client keeps pinging,
      // and the server's pongs satisfy it, so it never drops the connection to reconnect.
      long before = proxy.bytesFromClients();
      Wait.until("three heartbeats", Duration.ofSeconds(10), proxy::bytesFromClients, sent -> sent > before + 3 * 50);
      assertEquals(1, proxy.connectionsAccepted());
      assertTrue(!listener.reconnected.isDone(), "the client reconnected");
      assertEquals(pipeline.getId(), pipeline.getName());
      pipeline.release();
    }
  }

  @Test
  void destroyClosesTheSessionAndReleasesWhatOnlyItHeld() {
    KurentoClient leaving = Kms.connect();
    KurentoClient staying = Kms.connect();
    try {
      MediaPipeline own = leaving.createMediaPipeline();
      MediaPipeline shared = leaving.createMediaPipeline();
      PassThrough before = new PassThrough.Builder(shared).build();
      // Using an object makes it (and its ancestors) the other session's too...
      MediaPipeline sharedThere = staying.getById(shared.getId(), MediaPipeline.class);
      assertEquals(shared.getId(), sharedThere.getName());
      // ...and so are the children made in it from then on.
      PassThrough after = new PassThrough.Builder(shared).build();

      // destroy() sends closeSession: KMS then drops the session's hold on its objects.
      leaving.destroy();
      Errors.expect(40101, "MEDIA_OBJECT_NOT_FOUND", () -> staying.getById(own.getId(), MediaPipeline.class).getName());
      assertEquals(List.of(after.getId()), sharedThere.getChildren().stream().map(MediaObject::getId).toList());
      Errors.expect(40101, "MEDIA_OBJECT_NOT_FOUND", () -> staying.getById(before.getId(), PassThrough.class).getName());
      sharedThere.release();
    } finally {
      staying.destroy();
    }
  }
}
