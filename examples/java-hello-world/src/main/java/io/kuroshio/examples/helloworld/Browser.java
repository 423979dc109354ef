package io.kuroshio.examples.helloworld;

import com.google.gson.JsonObject;
import java.io.IOException;
import org.kurento.client.IceCandidate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;

/** The messages a browser's page receives, sent one at a time (events come from client threads). */
public final class Browser {
  private static final Logger log = LoggerFactory.getLogger(Browser.class);

  private final WebSocketSession session;

  Browser(WebSocketSession session) {
    this.session = session;
  }

  void sendAnswer(String sdpAnswer) {
    JsonObject message = message("answer");
    message.addProperty("sdpAnswer", sdpAnswer);
    send(message);
  }

  void sendCandidate(IceCandidate candidate) {
    JsonObject json = new JsonObject();
    json.addProperty("candidate", candidate.getCandidate());
    json.addProperty("sdpMid", candidate.getSdpMid());
    json.addProperty("sdpMLineIndex", candidate.getSdpMLineIndex());
    JsonObject message = message("iceCandidate");
    message.add("candidate", json);
    send(message);
  }

  void sendError(String text) {
    JsonObject message = message("error");
    message.addProperty("message", text);
    send(message);
  }

  private static JsonObject message(String type) {
    JsonObject message = new JsonObject();
    message.addProperty("type", type);
    return message;
  }

  private void send(JsonObject message) {
    synchronized (session) {
      if (!session.isOpen()) return;
      try {
        session.sendMessage(new TextMessage(message.toString()));
      } catch (IOException e) {
        // The browser went away; afterConnectionClosed releases its pipeline.
        log.debug("browser {} gone: {}", session.getId(), e.getMessage());
      }
    }
  }
}
