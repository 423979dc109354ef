package io.kuroshio.compat.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.function.Executable;
import org.kurento.client.internal.server.KurentoServerException;

/**
 * Server errors as the Java client raises them: {@link KurentoServerException} with the JSON-RPC
 * code, the server's message, and the error's {@code data} as JSON text.
 *
 * <p>The client's {@code getErrorType()} reads a top-level {@code error.type} that neither KMS nor
 * Kuroshio sends (both put it in {@code error.data.type}), so it is null with either server:
 * applications and these tests read the type from {@code getData()}.
 */
public final class Errors {
  private Errors() {}

  /** {@code error.data.type}, e.g. MEDIA_OBJECT_NOT_FOUND. */
  public static String type(KurentoServerException e) {
    String data = e.getData();
    if (data == null) return null;
    JsonElement json = JsonParser.parseString(data);
    return json.isJsonObject() && json.getAsJsonObject().has("type")
        ? json.getAsJsonObject().get("type").getAsString()
        : null;
  }

  /** Runs {@code call}, which must fail with a server error of this code and type. */
  public static KurentoServerException expect(int code, String type, Executable call) {
    KurentoServerException e = assertThrows(KurentoServerException.class, call);
    assertEquals(code, e.getCode(), e.getMessage());
    assertEquals(type, type(e), e.getMessage());
    return e;
  }
}
