package io.kuroshio.examples.helloworld;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import org.kurento.client.IceCandidate;
import org.kurento.client.KurentoClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.TextWebSocketHandler;

/**
 * The signalling socket: JSON messages with a {@code type}, one {@link Loopback} per browser.
 *
 * <pre>
 *   browser → server   {type: 'start', sdpOffer} · {type: 'iceCandidate', candidate} · {type: 'stop'}
 *   server → browser   {type: 'answer', sdpAnswer} · {type: 'iceCandidate', candidate} · {type: 'error', message}
 * </pre>
 */
public class HelloWorldHandler extends TextWebSocketHandler {
  private static final Logger log = LoggerFactory.getLogger(HelloWorldHandler.class);

  private final KurentoClient kurento;
  private final ConcurrentHashMap<String, Loopback> loopbacks = new ConcurrentHashMap<>();

  public HelloWorldHandler(KurentoClient kurento) {
    this.kurento = kurento;
  }

  @Override
  public void afterConnectionEstablished(WebSocketSession session) {
    loopbacks.put(session.getId(), new Loopback(new Browser(session)));
    log.info("browser {} connected", session.getId());
  }

  // Spring delivers the messages of one session one after another, so a candidate that follows
  // the offer is handled after it.
  @Override
  protected void handleTextMessage(WebSocketSession session, TextMessage text) throws IOException {
    Loopback loopback = loopbacks.get(session.getId());
    String type = "(unparsed)";
    try {
      JsonObject message = JsonParser.parseString(text.getPayload()).getAsJsonObject();
      type = message.get("type").getAsString();
      switch (type) {
        case "start" -> loopback.start(kurento, message.get("sdpOffer").getAsString());
        case "iceCandidate" -> loopback.addBrowserCandidate(candidate(message.getAsJsonObject("candidate")));
        case "stop" -> loopback.stop();
        default -> throw new IllegalArgumentException("unknown message type '" + type + "'");
      }
    } catch (RuntimeException e) {
      log.warn("browser {}: '{}' failed: {}", session.getId(), type, e.getMessage());
      loopback.browser().sendError(e.getMessage());
    }
  }

  @Override
  public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
    Loopback loopback = loopbacks.remove(session.getId());
    if (loopback != null) loopback.stop();
    log.info("browser {} disconnected", session.getId());
  }

  private static IceCandidate candidate(JsonObject json) {
    return new IceCandidate(json.get("candidate").getAsString(), json.get("sdpMid").getAsString(),
        json.get("sdpMLineIndex").getAsInt());
  }
}
