package io.kuroshio.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kuroshio.compat.support.Errors;
import io.kuroshio.compat.support.PipelineTest;
import org.junit.jupiter.api.Test;
import org.kurento.client.GenericMediaElement;
import org.kurento.client.MediaPipeline;
import org.kurento.client.PassThrough;
import org.kurento.client.WebRtcEndpoint;
import org.kurento.client.internal.server.KurentoServerException;

/**
 * What each misuse gives a Java application: a KurentoServerException with the code, the
 * server's message and {@code data.type}, as KMS answers them.
 */
class ErrorsTest extends PipelineTest {

  @Test
  void usingOrCreatingInAReleasedObjectIsMediaObjectNotFound() {
    MediaPipeline doomed = kurento.createMediaPipeline();
    doomed.release();
    KurentoServerException e = Errors.expect(40101, "MEDIA_OBJECT_NOT_FOUND", doomed::getName);
    assertEquals("Object '" + doomed.getId() + "' not found", e.getServerMessage());
    Errors.expect(40101, "MEDIA_OBJECT_NOT_FOUND", () -> new PassThrough.Builder(doomed).build());
  }

  @Test
  void unknownAndAbstractTypesAreNoFactories() {
    for (String type : new String[] {"NoSuchElement", "kurento.NoSuchElement", "MediaElement"}) {
      KurentoServerException e = Errors.expect(40108, "MEDIA_OBJECT_NOT_AVAILABLE",
          () -> new GenericMediaElement.Builder(pipeline, type).build());
      assertEquals("Factory '" + type + "' not found", e.getServerMessage());
    }
  }

  @Test
  void missingOrInvalidConstructorParametersAreMarshallErrors() {
    Errors.expect(40001, "MARSHALL_ERROR", () -> new GenericMediaElement.Builder(pipeline, "RecorderEndpoint").build());
    Errors.expect(40001, "MARSHALL_ERROR", () -> new GenericMediaElement.Builder(pipeline, "RecorderEndpoint")
        .withConstructorParam("uri", "file:///tmp/x.webm").withConstructorParam("mediaProfile", "NO_SUCH_PROFILE").build());
  }

  @Test
  void sdpMisuse() {
    WebRtcEndpoint offerer = new WebRtcEndpoint.Builder(pipeline).build();
    WebRtcEndpoint answerer = new WebRtcEndpoint.Builder(pipeline).build();
    Errors.expect(40201, "SDP_PARSE_ERROR", () -> answerer.processOffer("this is not an SDP"));
    Errors.expect(40209, "SDP_END_POINT_NOT_OFFER_GENERATED", () -> answerer.processAnswer("v=0\r\n"));

    // Two endpoints negotiate with each other through the application, as in a server-side call.
    String offer = offerer.generateOffer();
    assertTrue(offer.startsWith("v=0"), offer);
    String answer = answerer.processOffer(offer);
    assertTrue(answer.startsWith("v=0"), answer);
    assertTrue(offerer.processAnswer(answer).startsWith("v=0"));
    Errors.expect(40208, "SDP_END_POINT_ALREADY_NEGOTIATED", () -> answerer.processOffer(offer));
  }
}
