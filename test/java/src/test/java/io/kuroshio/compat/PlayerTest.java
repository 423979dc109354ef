package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.BrowserPeer;
import io.kuroshio.compat.support.BrowserPeer.Direction;
import io.kuroshio.compat.support.BrowserPeer.PageStats;
import io.kuroshio.compat.support.EventQueue;
import io.kuroshio.compat.support.Ffprobe;
import io.kuroshio.compat.support.KurentoTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kurento.client.ConnectionState;
import org.kurento.client.ConnectionStateChangedEvent;
import org.kurento.client.EndOfStreamEvent;
import org.kurento.client.ErrorEvent;
import org.kurento.client.MediaPipeline;
import org.kurento.client.PlayerEndpoint;
import org.kurento.client.UriEndpointState;
import org.kurento.client.UriEndpointStateChangedEvent;
import org.kurento.client.VideoInfo;
import org.kurento.client.WebRtcEndpoint;

/**
 * PlayerEndpoint through the Java client (the player tutorial's pipeline): a file made by ffmpeg
 * is played into a WebRtcEndpoint and decoded by a Chromium page; a missing file is an ErrorEvent.
 */
class PlayerTest extends KurentoTest {
  private static final Duration MEDIA_TIMEOUT = Duration.ofSeconds(30);

  private Path dir;
  private Path clip;

  @BeforeAll
  void makeAClip(@TempDir Path dir) {
    this.dir = dir;
    clip = dir.resolve("clip.webm");
    Ffprobe.run("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x480:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4",
        "-c:v", "libvpx", "-deadline", "realtime", "-b:v", "600k", "-g", "30", "-c:a", "libopus",
        clip.toString());
  }

  @Test
  void aFileIsPlayedToABrowser() {
    MediaPipeline pipeline = kurento.createMediaPipeline();
    try (BrowserPeer browser = BrowserPeer.open(Direction.RECVONLY)) {
      PlayerEndpoint player = new PlayerEndpoint.Builder(pipeline, clip.toUri().toString()).build();
      WebRtcEndpoint webRtc = new WebRtcEndpoint.Builder(pipeline).build();
      EventQueue<EndOfStreamEvent> ended = new EventQueue<>("EndOfStream");
      EventQueue<UriEndpointStateChangedEvent> states = new EventQueue<>("UriEndpointStateChanged");
      EventQueue<ConnectionStateChangedEvent> connection = new EventQueue<>("ConnectionStateChanged");
      player.addEndOfStreamListener(ended);
      player.addUriEndpointStateChangedListener(states);
      webRtc.addConnectionStateChangedListener(connection);
      player.connect(webRtc);
      browser.negotiate(webRtc);
      connection.find(e -> e.getNewState() == ConnectionState.CONNECTED, MEDIA_TIMEOUT);

      player.play();
      assertEquals(UriEndpointState.START, states.next().getState());
      assertEquals(UriEndpointState.START, player.getState());
      PageStats seen = browser.waitForStats("the clip's 640x480 video decoded", MEDIA_TIMEOUT,
          s -> s.video() != null && s.video().framesDecoded() > 10 && s.video().frameWidth() == 640);
      assertEquals(480, seen.video().frameHeight());
      assertTrue(player.getPosition() > 0, "position " + player.getPosition());
      VideoInfo info = player.getVideoInfo();
      assertTrue(info.getIsSeekable());
      assertTrue(Math.abs(info.getDuration() - 4000) < 200, "duration " + info.getDuration());

      EndOfStreamEvent end = ended.next(MEDIA_TIMEOUT);
      assertSame(player, end.getSource());
      assertEquals("EndOfStream", end.getType());
      browser.waitForStats("audio received", MEDIA_TIMEOUT, s -> s.audio() != null && s.audio().packetsReceived() > 0);
      assertEquals(List.of(), browser.pageErrors());
    } finally {
      pipeline.release();
    }
  }

  @Test
  void aMissingFileIsATypedErrorEvent() {
    MediaPipeline pipeline = kurento.createMediaPipeline();
    try {
      PlayerEndpoint player = new PlayerEndpoint.Builder(pipeline, dir.resolve("nothing-here.webm").toUri().toString()).build();
      EventQueue<ErrorEvent> errors = new EventQueue<>("Error");
      player.addErrorListener(errors);
      player.play();
      ErrorEvent error = errors.next();
      assertSame(player, error.getSource());
      assertEquals("RESOURCE_ERROR_NOT_FOUND", error.getType());
      assertTrue(error.getErrorCode() > 0, "errorCode " + error.getErrorCode());
      assertFalse(error.getDescription().isEmpty());
      assertTrue(error.getTimestampMillis().matches("\\d{13}"));
    } finally {
      pipeline.release();
    }
  }
}
