package io.kuroshio.compat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.kurento.client.FaceOverlayFilter;
import org.kurento.client.GStreamerFilter;
import org.kurento.client.HttpPostEndpoint;
import org.kurento.client.ImageOverlayFilter;
import org.kurento.client.MediaElement;
import org.kurento.client.MediaPipeline;
import org.kurento.client.PassThrough;
import org.kurento.client.PlayerEndpoint;
import org.kurento.client.RecorderEndpoint;
import org.kurento.client.RtpEndpoint;
import org.kurento.client.WebRtcEndpoint;
import org.kurento.client.ZBarFilter;

/**
 * The media element classes Kuroshio implements, and how an application creates each one with the
 * Java client. When the server implements another class, ObjectsTest fails and names it: add it
 * here (its builder and the constructor parameters it needs) and every object test covers it.
 * MediaPipeline, the one implemented class without a parent, is covered on its own.
 */
record ImplementedClasses(
    String name,
    Class<? extends MediaElement> type,
    Map<String, Object> constructorParams,
    Function<MediaPipeline, MediaElement> build) {

  /** Where recorders of these tests write: a file nobody reads. */
  static final String SCRATCH_RECORDING = "file:///tmp/kuroshio-java-compat-scratch.webm";
  /** A player needs a URI; nothing is read from it until play(). */
  static final String UNPLAYED_URI = "file:///tmp/kuroshio-java-compat-never-played.webm";
  /** Kurento's classic GStreamerFilter command. */
  static final String FLIP = "videoflip method=horizontal-flip";
  /**
   * Classes of Kurento's example modules (plugins in modules/), implemented but without classes in
   * the Java client (Kurento ships them as separate module jars): covered by the JavaScript tests.
   */
  static final Set<String> MODULE_CLASSES = Set.of("ChromaFilter", "CrowdDetectorFilter", "PlateDetectorFilter", "PointerDetectorFilter");

  static final List<ImplementedClasses> ALL = List.of(
      new ImplementedClasses("PassThrough", PassThrough.class, Map.of(),
          p -> new PassThrough.Builder(p).build()),
      new ImplementedClasses("WebRtcEndpoint", WebRtcEndpoint.class, Map.of(),
          p -> new WebRtcEndpoint.Builder(p).build()),
      new ImplementedClasses("RecorderEndpoint", RecorderEndpoint.class, Map.of("uri", SCRATCH_RECORDING),
          p -> new RecorderEndpoint.Builder(p, SCRATCH_RECORDING).build()),
      new ImplementedClasses("PlayerEndpoint", PlayerEndpoint.class, Map.of("uri", UNPLAYED_URI),
          p -> new PlayerEndpoint.Builder(p, UNPLAYED_URI).build()),
      new ImplementedClasses("FaceOverlayFilter", FaceOverlayFilter.class, Map.of(),
          p -> new FaceOverlayFilter.Builder(p).build()),
      new ImplementedClasses("ImageOverlayFilter", ImageOverlayFilter.class, Map.of(),
          p -> new ImageOverlayFilter.Builder(p).build()),
      new ImplementedClasses("ZBarFilter", ZBarFilter.class, Map.of(),
          p -> new ZBarFilter.Builder(p).build()),
      new ImplementedClasses("GStreamerFilter", GStreamerFilter.class, Map.of("command", FLIP),
          p -> new GStreamerFilter.Builder(p, FLIP).build()),
      new ImplementedClasses("RtpEndpoint", RtpEndpoint.class, Map.of(),
          p -> new RtpEndpoint.Builder(p).build()),
      new ImplementedClasses("HttpPostEndpoint", HttpPostEndpoint.class, Map.of(),
          p -> new HttpPostEndpoint.Builder(p).build()));

  /** The hubs and their port: not media elements in the Java client, covered by HubsTest. */
  static final Set<String> HUB_CLASSES = Set.of("Composite", "AlphaBlending", "Mixer", "Dispatcher", "DispatcherOneToMany", "HubPort");

  static boolean isImplemented(String name) {
    return name.equals("MediaPipeline") || MODULE_CLASSES.contains(name) || HUB_CLASSES.contains(name) || ALL.stream().anyMatch(c -> c.name.equals(name));
  }

  @Override
  public String toString() {
    return name;
  }
}
