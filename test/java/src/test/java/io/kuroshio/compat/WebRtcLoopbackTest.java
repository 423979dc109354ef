package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.BrowserPeer;
import io.kuroshio.compat.support.BrowserPeer.Direction;
import io.kuroshio.compat.support.BrowserPeer.PageStats;
import io.kuroshio.compat.support.EventQueue;
import io.kuroshio.compat.support.KurentoTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kurento.client.ConnectionState;
import org.kurento.client.ConnectionStateChangedEvent;
import org.kurento.client.DataChannelOpenedEvent;
import org.kurento.client.DtlsConnectionState;
import org.kurento.client.DtlsConnectionStateChangeEvent;
import org.kurento.client.EndpointStats;
import org.kurento.client.IceCandidateFoundEvent;
import org.kurento.client.IceCandidatePair;
import org.kurento.client.IceComponentState;
import org.kurento.client.IceComponentStateChangedEvent;
import org.kurento.client.IceGatheringDoneEvent;
import org.kurento.client.MediaFlowInStateChangedEvent;
import org.kurento.client.MediaFlowOutStateChangedEvent;
import org.kurento.client.MediaFlowState;
import org.kurento.client.MediaPipeline;
import org.kurento.client.MediaSessionStartedEvent;
import org.kurento.client.MediaState;
import org.kurento.client.MediaStateChangedEvent;
import org.kurento.client.MediaType;
import org.kurento.client.NewCandidatePairSelectedEvent;
import org.kurento.client.RTCInboundRTPStreamStats;
import org.kurento.client.RTCOutboundRTPStreamStats;
import org.kurento.client.Stats;
import org.kurento.client.StatsType;
import org.kurento.client.WebRtcEndpoint;

/**
 * The hello-world flow through the Java client: a Chromium page sends its fake camera to a
 * WebRtcEndpoint connected to itself and decodes what comes back; the application sees every
 * WebRTC event with its typed payload, and getStats answers the client's typed statistics.
 */
class WebRtcLoopbackTest extends KurentoTest {
  private static final Duration MEDIA_TIMEOUT = Duration.ofSeconds(30);

  @Test
  void theBrowserGetsItsOwnCameraBackAndTheApplicationSeesTypedEvents() {
    MediaPipeline pipeline = kurento.createMediaPipeline();
    try (BrowserPeer browser = BrowserPeer.open(Direction.SENDRECV)) {
      WebRtcEndpoint webRtc = new WebRtcEndpoint.Builder(pipeline).build();
      EventQueue<IceCandidateFoundEvent> candidates = new EventQueue<>("IceCandidateFound");
      EventQueue<IceGatheringDoneEvent> gathered = new EventQueue<>("IceGatheringDone");
      EventQueue<IceComponentStateChangedEvent> ice = new EventQueue<>("IceComponentStateChanged");
      EventQueue<NewCandidatePairSelectedEvent> pairs = new EventQueue<>("NewCandidatePairSelected");
      EventQueue<DtlsConnectionStateChangeEvent> dtls = new EventQueue<>("DtlsConnectionStateChange");
      EventQueue<ConnectionStateChangedEvent> connection = new EventQueue<>("ConnectionStateChanged");
      EventQueue<MediaStateChangedEvent> media = new EventQueue<>("MediaStateChanged");
      EventQueue<MediaFlowInStateChangedEvent> flowIn = new EventQueue<>("MediaFlowInStateChanged");
      EventQueue<MediaFlowOutStateChangedEvent> flowOut = new EventQueue<>("MediaFlowOutStateChanged");
      EventQueue<MediaSessionStartedEvent> sessionStarted = new EventQueue<>("MediaSessionStarted");
      webRtc.addIceCandidateFoundListener(candidates);
      webRtc.addIceGatheringDoneListener(gathered);
      webRtc.addIceComponentStateChangedListener(ice);
      webRtc.addNewCandidatePairSelectedListener(pairs);
      webRtc.addDtlsConnectionStateChangeListener(dtls);
      webRtc.addConnectionStateChangedListener(connection);
      webRtc.addMediaStateChangedListener(media);
      webRtc.addMediaFlowInStateChangedListener(flowIn);
      webRtc.addMediaFlowOutStateChangedListener(flowOut);
      webRtc.addMediaSessionStartedListener(sessionStarted);

      webRtc.connect(webRtc);
      String answer = browser.negotiate(webRtc);
      assertTrue(answer.startsWith("v=0"), answer);

      PageStats seen = browser.waitForStats("640x480 video decoded", MEDIA_TIMEOUT,
          s -> s.video() != null && s.video().framesDecoded() > 10 && s.video().frameWidth() == 640);
      assertEquals(480, seen.video().frameHeight());
      browser.waitForStats("audio received", MEDIA_TIMEOUT, s -> s.audio() != null && s.audio().packetsReceived() > 0);
      assertEquals(List.of(), browser.pageErrors());

      IceCandidateFoundEvent found = candidates.next();
      assertSame(webRtc, found.getSource());
      assertEquals("IceCandidateFound", found.getType());
      assertTrue(found.getCandidate().getCandidate().startsWith("candidate:"), found.getCandidate().getCandidate());
      assertFalse(found.getCandidate().getSdpMid().isEmpty());
      assertTrue(found.getTimestampMillis().matches("\\d{13}"), found.getTimestampMillis());
      assertEquals(List.of(), found.getTags());
      gathered.next();

      ice.find(e -> e.getState() == IceComponentState.CONNECTED);
      IceCandidatePair pair = pairs.next().getCandidatePair();
      assertTrue(pair.getLocalCandidate().startsWith("candidate:"), pair.getLocalCandidate());
      assertTrue(pair.getRemoteCandidate().startsWith("candidate:"), pair.getRemoteCandidate());
      dtls.find(e -> e.getState() == DtlsConnectionState.CONNECTED);
      ConnectionStateChangedEvent connected = connection.find(e -> e.getNewState() == ConnectionState.CONNECTED);
      assertEquals(ConnectionState.DISCONNECTED, connected.getOldState());
      media.find(e -> e.getNewState() == MediaState.CONNECTED);
      assertSame(webRtc, sessionStarted.next().getSource());
      MediaFlowInStateChangedEvent videoIn = flowIn.find(e -> e.getMediaType() == MediaType.VIDEO && e.getState() == MediaFlowState.FLOWING);
      assertEquals("default", videoIn.getPadName());
      flowOut.find(e -> e.getMediaType() == MediaType.AUDIO && e.getState() == MediaFlowState.FLOWING);

      assertEquals(ConnectionState.CONNECTED, webRtc.getConnectionState());
      assertEquals(MediaState.CONNECTED, webRtc.getMediaState());
      assertTrue(webRtc.isMediaFlowingIn(MediaType.VIDEO));
      assertTrue(webRtc.isMediaFlowingOut(MediaType.AUDIO));
      assertFalse(webRtc.isMediaTranscoding(MediaType.VIDEO));
      List<IceCandidatePair> selected = webRtc.getICECandidatePairs();
      assertFalse(selected.isEmpty());
      assertInstanceOf(IceCandidatePair.class, selected.get(0));
      assertTrue(webRtc.getLocalSessionDescriptor().startsWith("v=0"));
      assertTrue(webRtc.getRemoteSessionDescriptor().startsWith("v=0"));

      assertTypedStats(webRtc.getStats(MediaType.VIDEO));
    } finally {
      pipeline.release();
    }
  }

  @Test
  void aDataChannelLoopsBackAndRaisesDataChannelOpened() {
    MediaPipeline pipeline = kurento.createMediaPipeline();
    try (BrowserPeer browser = BrowserPeer.open(Direction.SENDRECV, "chat")) {
      WebRtcEndpoint webRtc = new WebRtcEndpoint.Builder(pipeline).useDataChannels().build();
      EventQueue<DataChannelOpenedEvent> opened = new EventQueue<>("DataChannelOpened");
      webRtc.addDataChannelOpenedListener(opened);
      webRtc.connect(webRtc);
      browser.negotiate(webRtc);

      DataChannelOpenedEvent open = opened.next(MEDIA_TIMEOUT);
      assertSame(webRtc, open.getSource());
      assertTrue(open.getChannelId() >= 0, "channelId " + open.getChannelId());
      PageStats seen = browser.waitForStats("the greeting back on the data channel", MEDIA_TIMEOUT,
          s -> s.dataReceived() != null && !s.dataReceived().isEmpty());
      assertEquals(List.of("hello from the page on chat"), seen.dataReceived());
      assertEquals(List.of(), browser.pageErrors());
    } finally {
      pipeline.release();
    }
  }

  /** getStats answers the client's statistics classes, each keyed by its id. */
  private static void assertTypedStats(Map<String, Stats> stats) {
    assertFalse(stats.isEmpty());
    stats.forEach((id, s) -> assertEquals(id, s.getId(), "key of " + s.getClass().getSimpleName()));
    RTCInboundRTPStreamStats inbound = only(stats, RTCInboundRTPStreamStats.class);
    assertEquals(StatsType.inboundrtp, inbound.getType());
    assertTrue(inbound.getPacketsReceived() > 0, "packetsReceived " + inbound.getPacketsReceived());
    assertTrue(inbound.getBytesReceived() > 0);
    RTCOutboundRTPStreamStats outbound = only(stats, RTCOutboundRTPStreamStats.class);
    assertEquals(StatsType.outboundrtp, outbound.getType());
    assertTrue(outbound.getPacketsSent() > 0, "packetsSent " + outbound.getPacketsSent());
    EndpointStats endpoint = only(stats, EndpointStats.class);
    assertEquals(StatsType.endpoint, endpoint.getType());
    assertTrue(endpoint.getTimestampMillis() > 1_600_000_000_000L, "timestampMillis " + endpoint.getTimestampMillis());
  }

  private static <T extends Stats> T only(Map<String, Stats> stats, Class<T> type) {
    List<T> found = stats.values().stream().filter(s -> s.getClass() == type).map(type::cast).toList();
    assertEquals(1, found.size(), "one " + type.getSimpleName() + " in " + stats.values().stream().map(s -> s.getClass().getSimpleName()).toList());
    return found.get(0);
  }
}
