package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.EventQueue;
import io.kuroshio.compat.support.PipelineTest;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kurento.client.ElementConnectedEvent;
import org.kurento.client.ErrorEvent;
import org.kurento.client.ListenerSubscription;
import org.kurento.client.MediaType;
import org.kurento.client.PassThrough;
import org.kurento.client.Tag;

/** Subscriptions as the Java client makes them: one per listener, and their removal; tags in events. */
class EventsTest extends PipelineTest {
  private PassThrough source;
  private PassThrough sink;

  @BeforeEach
  void createElements() {
    source = new PassThrough.Builder(pipeline).build();
    sink = new PassThrough.Builder(pipeline).build();
  }

  @Test
  void everyListenerGetsEachEventOnce() {
    EventQueue<ElementConnectedEvent> first = new EventQueue<>("ElementConnected (first)");
    EventQueue<ElementConnectedEvent> second = new EventQueue<>("ElementConnected (second)");
    source.addElementConnectedListener(first);
    source.addElementConnectedListener(second);
    source.connect(sink, MediaType.AUDIO);
    assertEquals(MediaType.AUDIO, first.next().getMediaType());
    assertEquals(MediaType.AUDIO, second.next().getMediaType());
    // A later event is the next each one sees: nothing was delivered twice.
    source.connect(sink, MediaType.VIDEO);
    assertEquals(MediaType.VIDEO, first.next().getMediaType());
    assertEquals(MediaType.VIDEO, second.next().getMediaType());
  }

  @Test
  void removingOneListenerKeepsTheOthers() {
    EventQueue<ElementConnectedEvent> kept = new EventQueue<>("ElementConnected (kept)");
    EventQueue<ElementConnectedEvent> removed = new EventQueue<>("ElementConnected (removed)");
    source.addElementConnectedListener(kept);
    ListenerSubscription subscription = source.addElementConnectedListener(removed);
    source.connect(sink, MediaType.AUDIO);
    kept.next();
    removed.next();

    source.removeElementConnectedListener(subscription);
    source.connect(sink, MediaType.VIDEO);
    assertEquals(MediaType.VIDEO, kept.next().getMediaType());
    source.connect(sink, MediaType.DATA);
    assertEquals(MediaType.DATA, kept.next().getMediaType());
    assertEquals(1, removed.all().size(), "events after removeListener");
  }

  @Test
  void sendTagsInEventsPutsTheTagsInTheEvents() {
    EventQueue<ElementConnectedEvent> connected = new EventQueue<>("ElementConnected");
    source.addElementConnectedListener(connected);
    source.addTag("app", "java-compat");
    source.addTag("an", "other");
    assertEquals(false, source.getSendTagsInEvents());
    source.connect(sink, MediaType.AUDIO);
    assertEquals(List.of(), connected.next().getTags());

    source.setSendTagsInEvents(true);
    assertTrue(source.getSendTagsInEvents());
    source.connect(sink, MediaType.VIDEO);
    List<Tag> tags = connected.next().getTags();
    assertEquals(List.of("an=other", "app=java-compat"), tags.stream().map(t -> t.getKey() + "=" + t.getValue()).toList());
  }

  @Test
  void errorListenersAttachToEveryObject() {
    EventQueue<ErrorEvent> errors = new EventQueue<>("Error");
    List<ListenerSubscription> subscriptions = List.of(
        pipeline.addErrorListener(errors), source.addErrorListener(errors),
        kurento.getServerManager().addErrorListener(errors));
    for (ListenerSubscription s : subscriptions) assertTrue(s.getSubscriptionId().matches("[0-9a-f-]{36}"), s.getSubscriptionId());
    assertEquals(List.of(), errors.all());
    kurento.getServerManager().removeErrorListener(subscriptions.get(2));
  }
}
