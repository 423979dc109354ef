package io.kuroshio.compat.support;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Debian's ffprobe reading a media file, independently of the server's muxer. */
public final class Ffprobe {
  private final JsonObject probe;

  private Ffprobe(JsonObject probe) {
    this.probe = probe;
  }

  public static Ffprobe of(Path file) {
    return new Ffprobe(JsonParser.parseString(run("ffprobe", "-v", "error", "-show_format", "-show_streams",
        "-of", "json", file.toString())).getAsJsonObject());
  }

  /** Container duration in seconds. */
  public double duration() {
    return probe.getAsJsonObject("format").get("duration").getAsDouble();
  }

  public String formatName() {
    return probe.getAsJsonObject("format").get("format_name").getAsString();
  }

  /** The first stream of a kind ("video", "audio"). */
  public Optional<JsonObject> stream(String kind) {
    for (JsonElement s : probe.getAsJsonArray("streams")) {
      if (s.getAsJsonObject().get("codec_type").getAsString().equals(kind)) return Optional.of(s.getAsJsonObject());
    }
    return Optional.empty();
  }

  /** Runs a media tool (ffmpeg, ffprobe) to completion and returns its standard output. */
  public static String run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish");
      }
      if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", command) + " failed with " + p.exitValue());
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command[0], e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
