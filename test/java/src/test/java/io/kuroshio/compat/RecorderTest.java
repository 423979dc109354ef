package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.BrowserPeer;
import io.kuroshio.compat.support.BrowserPeer.Direction;
import io.kuroshio.compat.support.EventQueue;
import io.kuroshio.compat.support.Ffprobe;
import io.kuroshio.compat.support.KurentoTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kurento.client.MediaFlowInStateChangedEvent;
import org.kurento.client.MediaFlowState;
import org.kurento.client.MediaPipeline;
import org.kurento.client.MediaProfileSpecType;
import org.kurento.client.MediaType;
import org.kurento.client.PausedEvent;
import org.kurento.client.RecorderEndpoint;
import org.kurento.client.RecordingEvent;
import org.kurento.client.StoppedEvent;
import org.kurento.client.UriEndpointState;
import org.kurento.client.UriEndpointStateChangedEvent;
import org.kurento.client.WebRtcEndpoint;

/**
 * Recording a browser's camera and microphone through the Java client (the hello-world-recording
 * tutorial's pipeline), with a pause: the file is checked with ffprobe, not with anything of the
 * server's.
 */
class RecorderTest extends KurentoTest {
  private static final Duration MEDIA_TIMEOUT = Duration.ofSeconds(30);

  @Test
  void aBrowserCallIsRecordedToAPlayableWebmFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("call.webm");
    MediaPipeline pipeline = kurento.createMediaPipeline();
    try (BrowserPeer browser = BrowserPeer.open(Direction.SENDRECV)) {
      WebRtcEndpoint webRtc = new WebRtcEndpoint.Builder(pipeline).build();
      RecorderEndpoint recorder = new RecorderEndpoint.Builder(pipeline, file.toUri().toString())
          .withMediaProfile(MediaProfileSpecType.WEBM).build();
      EventQueue<RecordingEvent> recording = new EventQueue<>("Recording");
      EventQueue<StoppedEvent> stopped = new EventQueue<>("Stopped");
      EventQueue<PausedEvent> paused = new EventQueue<>("Paused");
      EventQueue<UriEndpointStateChangedEvent> states = new EventQueue<>("UriEndpointStateChanged");
      EventQueue<MediaFlowInStateChangedEvent> flowIn = new EventQueue<>("MediaFlowInStateChanged");
      recorder.addRecordingListener(recording);
      recorder.addStoppedListener(stopped);
      recorder.addPausedListener(paused);
      recorder.addUriEndpointStateChangedListener(states);
      recorder.addMediaFlowInStateChangedListener(flowIn);
      webRtc.connect(webRtc);
      webRtc.connect(recorder);
      browser.negotiate(webRtc);

      assertEquals(UriEndpointState.STOP, recorder.getState());
      assertEquals(file.toUri().toString(), recorder.getUri());
      recorder.record();
      RecordingEvent started = recording.next();
      assertSame(recorder, started.getSource());
      assertEquals(UriEndpointState.START, states.next().getState());
      flowIn.find(e -> e.getMediaType() == MediaType.VIDEO && e.getState() == MediaFlowState.FLOWING, MEDIA_TIMEOUT);
      // Two seconds of the camera's pictures in the file, as the page itself sees them come back.
      long framesAtStart = browser.waitForStats("video decoded", MEDIA_TIMEOUT,
          s -> s.video() != null && s.video().framesDecoded() > 0).video().framesDecoded();
      browser.waitForStats("a second more of video", MEDIA_TIMEOUT,
          s -> s.video().framesDecoded() > framesAtStart + 25);
      recorder.pause();
      assertSame(recorder, paused.next().getSource());
      assertEquals(UriEndpointState.PAUSE, recorder.getState());
      recorder.record();
      recording.next();
      assertEquals(UriEndpointState.START, recorder.getState());
      long framesAtResume = browser.waitForStats("video decoded", MEDIA_TIMEOUT, s -> true).video().framesDecoded();
      browser.waitForStats("another second of video", MEDIA_TIMEOUT,
          s -> s.video().framesDecoded() > framesAtResume + 25);

      recorder.stopAndWait();
      stopped.next();
      assertEquals(UriEndpointState.STOP, recorder.getState());
      assertEquals(UriEndpointState.STOP, states.find(e -> e.getState() == UriEndpointState.STOP).getState());
      assertEquals(List.of(), browser.pageErrors());
    } finally {
      pipeline.release();
    }

    assertTrue(Files.size(file) > 10_000, "recording of " + Files.size(file) + " bytes");
    Ffprobe probe = Ffprobe.of(file);
    assertTrue(probe.formatName().contains("webm"), probe.formatName());
    assertEquals("vp8", probe.stream("video").orElseThrow().get("codec_name").getAsString());
    assertEquals(640, probe.stream("video").orElseThrow().get("width").getAsInt());
    assertEquals("opus", probe.stream("audio").orElseThrow().get("codec_name").getAsString());
    assertTrue(probe.duration() > 1.0, "duration " + probe.duration());
  }
}
