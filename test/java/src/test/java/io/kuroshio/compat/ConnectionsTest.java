package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.Errors;
import io.kuroshio.compat.support.EventQueue;
import io.kuroshio.compat.support.PipelineTest;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kurento.client.AudioCaps;
import org.kurento.client.AudioCodec;
import org.kurento.client.ElementConnectedEvent;
import org.kurento.client.ElementConnectionData;
import org.kurento.client.ElementDisconnectedEvent;
import org.kurento.client.ElementStats;
import org.kurento.client.Fraction;
import org.kurento.client.GstreamerDotDetails;
import org.kurento.client.MediaPipeline;
import org.kurento.client.MediaType;
import org.kurento.client.PassThrough;
import org.kurento.client.Stats;
import org.kurento.client.StatsType;
import org.kurento.client.VideoCaps;
import org.kurento.client.VideoCodec;

/**
 * connect/disconnect in every overload of the Java client, seen through the typed connection
 * data and the ElementConnected/ElementDisconnected events; and the introspection calls.
 */
class ConnectionsTest extends PipelineTest {
  private PassThrough source;
  private PassThrough sink;
  private EventQueue<ElementConnectedEvent> connected;
  private EventQueue<ElementDisconnectedEvent> disconnected;

  @BeforeEach
  void createElements() {
    source = new PassThrough.Builder(pipeline).build();
    sink = new PassThrough.Builder(pipeline).build();
    connected = new EventQueue<>("ElementConnected");
    disconnected = new EventQueue<>("ElementDisconnected");
    source.addElementConnectedListener(connected);
    source.addElementDisconnectedListener(disconnected);
  }

  /** "TYPE source-description>sink-description", the typed connection data in a comparable form. */
  private String link(ElementConnectionData c) {
    assertSame(source, c.getSource());
    assertSame(sink, c.getSink());
    return c.getType() + " " + c.getSourceDescription() + ">" + c.getSinkDescription();
  }

  private List<String> links(List<ElementConnectionData> list) {
    return list.stream().map(this::link).sorted().toList();
  }

  /** Both ends agree on the links between source and sink. */
  private List<String> linksBothWays() {
    List<String> out = links(source.getSinkConnections());
    assertEquals(out, links(sink.getSourceConnections()));
    return out;
  }

  private void assertEvent(ElementConnectedEvent e, MediaType type, String from, String to) {
    assertSame(source, e.getSource());
    assertSame(sink, e.getSink());
    assertEquals(type, e.getMediaType());
    assertEquals(from, e.getSourceMediaDescription());
    assertEquals(to, e.getSinkMediaDescription());
    assertEquals("ElementConnected", e.getType());
    assertTrue(e.getTimestampMillis().matches("\\d{13}"), e.getTimestampMillis());
  }

  @Test
  void connectSinkLinksAudioVideoAndData() {
    source.connect(sink);
    List<ElementConnectedEvent> events = List.of(connected.next(), connected.next(), connected.next());
    assertEquals(List.of(MediaType.AUDIO, MediaType.DATA, MediaType.VIDEO),
        events.stream().map(ElementConnectedEvent::getMediaType).sorted(Comparator.comparing(Enum::name)).toList());
    for (ElementConnectedEvent e : events) assertEvent(e, e.getMediaType(), "default", "default");
    assertEquals(List.of("AUDIO default>default", "DATA default>default", "VIDEO default>default"), linksBothWays());
    assertInstanceOf(ElementConnectionData.class, source.getSinkConnections().get(0));
    assertEquals(List.of(), source.getSourceConnections());
    assertEquals(List.of("VIDEO default>default"), links(source.getSinkConnections(MediaType.VIDEO)));

    source.disconnect(sink);
    for (int i = 0; i < 3; i++) assertSame(sink, disconnected.next().getSink());
    assertEquals(List.of(), linksBothWays());
  }

  @Test
  void connectSinkMediaTypeLinksOneKind() {
    source.connect(sink, MediaType.AUDIO);
    assertEvent(connected.next(), MediaType.AUDIO, "default", "default");
    source.connect(sink, MediaType.VIDEO);
    assertEvent(connected.next(), MediaType.VIDEO, "default", "default");
    assertEquals(List.of("AUDIO default>default", "VIDEO default>default"), linksBothWays());
    source.disconnect(sink, MediaType.AUDIO);
    assertEquals(MediaType.AUDIO, disconnected.next().getMediaType());
    assertEquals(List.of("VIDEO default>default"), linksBothWays());
  }

  @Test
  void connectWithASourceDescriptionNamesTheSourcePad() {
    source.connect(sink, MediaType.VIDEO, "camera");
    assertEvent(connected.next(), MediaType.VIDEO, "camera", "default");
    assertEquals(List.of("VIDEO camera>default"), linksBothWays());
    assertEquals(List.of("VIDEO camera>default"), links(source.getSinkConnections(MediaType.VIDEO, "camera")));
    assertEquals(List.of(), source.getSinkConnections(MediaType.VIDEO, "default"));
    // Disconnecting another description leaves the link alone.
    source.disconnect(sink, MediaType.VIDEO, "screen");
    assertEquals(List.of("VIDEO camera>default"), linksBothWays());
    source.disconnect(sink, MediaType.VIDEO, "camera");
    assertEquals("camera", disconnected.next().getSourceMediaDescription());
    assertEquals(List.of(), linksBothWays());
  }

  @Test
  void connectWithBothDescriptionsNamesBothPads() {
    source.connect(sink, MediaType.DATA, "chat-out", "chat-in");
    assertEvent(connected.next(), MediaType.DATA, "chat-out", "chat-in");
    assertEquals(List.of("DATA chat-out>chat-in"), linksBothWays());
    assertEquals(List.of("DATA chat-out>chat-in"), links(sink.getSourceConnections(MediaType.DATA, "chat-in")));
    source.disconnect(sink, MediaType.DATA, "chat-out", "chat-in");
    ElementDisconnectedEvent gone = disconnected.next();
    assertEquals("chat-in", gone.getSinkMediaDescription());
    assertEquals(List.of(), linksBothWays());
  }

  @Test
  void aSinkPadHasOneSource() {
    PassThrough other = new PassThrough.Builder(pipeline).build();
    source.connect(sink, MediaType.VIDEO);
    connected.next();
    other.connect(sink, MediaType.VIDEO);
    assertEquals(MediaType.VIDEO, disconnected.next().getMediaType());
    assertEquals(List.of(), source.getSinkConnections());
    List<ElementConnectionData> into = sink.getSourceConnections();
    assertEquals(1, into.size());
    assertSame(other, into.get(0).getSource());
  }

  @Test
  void elementsOfDifferentPipelinesCannotBeConnected() {
    MediaPipeline elsewhere = kurento.createMediaPipeline();
    try {
      PassThrough stranger = new PassThrough.Builder(elsewhere).build();
      Errors.expect(40004, "CONNECT_ERROR", () -> source.connect(stranger));
    } finally {
      elsewhere.release();
    }
  }

  @Test
  void introspection() {
    source.connect(sink, MediaType.VIDEO);
    String dot = pipeline.getGstreamerDot();
    assertTrue(dot.startsWith("digraph") && dot.contains(source.getId()) && dot.contains(sink.getId()), dot);
    assertTrue(pipeline.getGstreamerDot(GstreamerDotDetails.SHOW_ALL).startsWith("digraph"));
    assertTrue(source.getGstreamerDot().startsWith("digraph"));
    pipeline.dumpGstreamerDot();

    assertFalse(pipeline.getLatencyStats());
    pipeline.setLatencyStats(true);
    assertTrue(pipeline.getLatencyStats());

    for (MediaType kind : List.of(MediaType.AUDIO, MediaType.VIDEO)) {
      assertFalse(sink.isMediaFlowingIn(kind));
      assertFalse(sink.isMediaFlowingIn(kind, "default"));
      assertFalse(source.isMediaFlowingOut(kind));
      assertFalse(source.isMediaTranscoding(kind));
    }
    source.setVideoFormat(new VideoCaps(VideoCodec.VP8, new Fraction(30, 1)));
    source.setAudioFormat(new AudioCaps(AudioCodec.OPUS, 32000));
  }

  @Test
  void getStatsOfAPassThroughIsElementStats() {
    List<Stats> stats = List.copyOf(source.getStats().values());
    assertFalse(stats.isEmpty());
    ElementStats element = stats.stream().filter(s -> s instanceof ElementStats).map(s -> (ElementStats) s)
        .findFirst().orElseThrow(() -> new AssertionError("no ElementStats in " + stats));
    assertEquals(StatsType.element, element.getType());
    assertEquals(List.of(), element.getInputLatency());
    assertTrue(element.getTimestampMillis() > 1_600_000_000_000L);
    source.getStats(MediaType.VIDEO).forEach((id, s) -> assertEquals(id, s.getId()));
  }
}
