package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.PipelineTest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kurento.client.MediaElement;
import org.kurento.client.MediaPipeline;
import org.kurento.client.RembParams;
import org.kurento.client.WebRtcEndpoint;
import org.kurento.client.internal.server.KurentoServerException;

/**
 * Every getter the Java client generates for an implemented class, called through its typed
 * proxy. The client builds each result from the JSON it receives (complex values from their
 * {@code __module__}/{@code __type__} tags, enums from their names, objects from their ids), so a
 * value of the wrong shape fails here even where the JavaScript client would not notice.
 */
class PropertiesTest extends PipelineTest {

  static Stream<ImplementedClasses> implemented() {
    return ImplementedClasses.ALL.stream();
  }

  /** The parameterless getters of a client interface, in a stable order. */
  private static List<Method> getters(Class<?> type) {
    return Arrays.stream(type.getMethods())
        .filter(m -> m.getName().startsWith("get") && m.getParameterCount() == 0)
        .filter(m -> m.getDeclaringClass().getPackageName().equals("org.kurento.client"))
        .sorted(Comparator.comparing(Method::getName))
        .toList();
  }

  /**
   * Calls every getter of {@code object}: each must answer a value of its declared type, or a
   * Kurento error the server chose (a getter with nothing to show yet, as KMS's). Anything else
   * (the client failing to build the value) is collected, so one run names every broken getter.
   */
  private static List<String> callEveryGetter(Class<?> type, Object object) {
    List<String> broken = new ArrayList<>();
    for (Method getter : getters(type)) {
      try {
        Object value = getter.invoke(object);
        Class<?> expected = getter.getReturnType();
        if (value != null && !expected.isPrimitive() && !expected.isInstance(value)) {
          broken.add(getter.getName() + " answered a " + value.getClass().getName());
        }
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause();
        boolean kurentoError = cause instanceof KurentoServerException k && k.getCode() >= 40000 && k.getCode() < 50000;
        if (!kurentoError) broken.add(getter.getName() + ": " + cause);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }
    return broken;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("implemented")
  void everyGetterAnswersAValueTheClientCanBuild(ImplementedClasses cls) {
    MediaElement element = cls.build().apply(pipeline);
    assertTrue(getters(cls.type()).size() > 10, "getters found: " + getters(cls.type()));
    assertEquals(List.of(), callEveryGetter(cls.type(), element));
  }

  @Test
  void everyGetterOfThePipelineAndTheServerManager() {
    assertEquals(List.of(), callEveryGetter(MediaPipeline.class, pipeline));
    assertEquals(List.of(), callEveryGetter(org.kurento.client.ServerManager.class, kurento.getServerManager()));
  }

  @Test
  void settersRoundTripThroughTheGetters() {
    WebRtcEndpoint webRtc = new WebRtcEndpoint.Builder(pipeline).build();
    webRtc.setMaxVideoRecvBandwidth(900);
    assertEquals(900, webRtc.getMaxVideoRecvBandwidth());
    webRtc.setMinVideoSendBandwidth(150);
    assertEquals(150, webRtc.getMinVideoSendBandwidth());
    webRtc.setStunServerAddress("127.0.0.1");
    webRtc.setStunServerPort(3478);
    assertEquals("127.0.0.1", webRtc.getStunServerAddress());
    assertEquals(3478, webRtc.getStunServerPort());
    webRtc.setMtu(1200);
    assertEquals(1200, webRtc.getMtu());

    // A complex value goes out with the client's __module__/__type__ tags and comes back typed.
    // (The client builds a complex value from its constructor's parameters only, and RembParams'
    // fields are all optional: they read as null whatever the server sends, with KMS too. The
    // JavaScript suite checks the values.)
    RembParams remb = new RembParams();
    remb.setRembOnConnect(400_000);
    webRtc.setRembParams(remb);
    assertInstanceOf(RembParams.class, webRtc.getRembParams());
  }
}
