package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.PipelineTest;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kurento.client.AlphaBlending;
import org.kurento.client.Composite;
import org.kurento.client.Dispatcher;
import org.kurento.client.DispatcherOneToMany;
import org.kurento.client.Hub;
import org.kurento.client.HubPort;
import org.kurento.client.MediaPipeline;
import org.kurento.client.Mixer;
import org.kurento.client.PassThrough;
import org.kurento.client.internal.server.KurentoServerException;

/**
 * Every hub through the Java client's builders: its ports are its children, connect to elements
 * both ways, and go with it when it is released.
 */
class HubsTest extends PipelineTest {
  static Stream<Function<MediaPipeline, Hub>> hubs() {
    return Stream.of(
        p -> new Composite.Builder(p).build(),
        p -> new AlphaBlending.Builder(p).build(),
        p -> new Mixer.Builder(p).build(),
        p -> new Dispatcher.Builder(p).build(),
        p -> new DispatcherOneToMany.Builder(p).build());
  }

  @ParameterizedTest
  @MethodSource("hubs")
  void aHubMakesPortsThatConnectBothWaysAndGoWithIt(Function<MediaPipeline, Hub> build) {
    Hub hub = build.apply(pipeline);
    HubPort port = new HubPort.Builder(hub).build();
    PassThrough participant = new PassThrough.Builder(pipeline).build();
    participant.connect(port);
    port.connect(participant);
    assertEquals(List.of(port.getId()), hub.getChildren().stream().map(c -> c.getId()).toList());
    assertEquals(hub.getId(), port.getParent().getId());
    assertTrue(port.getSourceConnections().stream().anyMatch(c -> c.getSource().getId().equals(participant.getId())));
    hub.release();
    KurentoServerException gone = assertThrows(KurentoServerException.class, port::getName);
    assertEquals(40101, gone.getCode());
    participant.release();
  }
}
