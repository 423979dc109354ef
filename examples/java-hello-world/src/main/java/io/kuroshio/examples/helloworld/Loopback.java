package io.kuroshio.examples.helloworld;

import java.util.ArrayList;
import java.util.List;
import org.kurento.client.IceCandidate;
import org.kurento.client.KurentoClient;
import org.kurento.client.MediaPipeline;
import org.kurento.client.WebRtcEndpoint;

/**
 * One browser's loopback: a MediaPipeline with a WebRtcEndpoint connected to itself. Candidates
 * the browser sends before the endpoint exists are kept and given to it once it does.
 */
final class Loopback {
  private final Browser browser;
  private final List<IceCandidate> early = new ArrayList<>();
  private MediaPipeline pipeline;
  private WebRtcEndpoint endpoint;

  Loopback(Browser browser) {
    this.browser = browser;
  }

  Browser browser() {
    return browser;
  }

  synchronized void start(KurentoClient kurento, String sdpOffer) {
    release(); // a second start replaces the first call (candidates it already sent stay)
    pipeline = kurento.createMediaPipeline();
    try {
      endpoint = new WebRtcEndpoint.Builder(pipeline).build();
      endpoint.addIceCandidateFoundListener(event -> browser.sendCandidate(event.getCandidate()));
      endpoint.connect(endpoint);
      early.forEach(endpoint::addIceCandidate);
      early.clear();
      browser.sendAnswer(endpoint.processOffer(sdpOffer));
      endpoint.gatherCandidates();
    } catch (RuntimeException e) {
      release();
      throw e;
    }
  }

  synchronized void addBrowserCandidate(IceCandidate candidate) {
    if (endpoint == null) early.add(candidate);
    else endpoint.addIceCandidate(candidate);
  }

  synchronized void stop() {
    release();
    early.clear();
  }

  private void release() {
    if (pipeline != null) pipeline.release();
    pipeline = null;
    endpoint = null;
  }
}
