package io.kuroshio.examples.helloworld;

import java.nio.file.Files;
import java.nio.file.Path;
import org.kurento.client.KurentoClient;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;

/**
 * The hello-world application server: serves the page and runs the signalling WebSocket at
 * /signalling, driving the media server with the official Java client. The page is the one the
 * Node examples serve (examples/hello-world/static and examples/common/static, as built into
 * dist/ by `npm run build`, with the kurento-utils bundle), so both servers speak the same JSON
 * messages to it.
 */
@SpringBootApplication
@EnableWebSocket
public class HelloWorldApplication implements WebSocketConfigurer, WebMvcConfigurer {
  private final String kmsUrl;
  private final Path dist;

  public HelloWorldApplication(@Value("${kms.url}") String kmsUrl, @Value("${kuroshio.dist}") String dist) {
    this.kmsUrl = kmsUrl;
    this.dist = Path.of(dist).toAbsolutePath().normalize();
    if (!Files.exists(this.dist.resolve("browser/kurento-utils.js"))) {
      throw new IllegalStateException(this.dist.resolve("browser/kurento-utils.js")
          + " is missing: run `npm run build` in the repository first, or set --kuroshio.dist");
    }
  }

  /** One client for the whole application, as Kurento's tutorials have it. */
  @Bean(destroyMethod = "destroy")
  public KurentoClient kurentoClient() {
    return KurentoClient.create(kmsUrl);
  }

  @Bean
  public HelloWorldHandler helloWorldHandler(KurentoClient kurento) {
    return new HelloWorldHandler(kurento);
  }

  @Override
  public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
    registry.addHandler(helloWorldHandler(kurentoClient()), "/signalling");
  }

  @Override
  public void addResourceHandlers(ResourceHandlerRegistry registry) {
    // The page itself is served at the root (and index.html for "/", below).
    registry.addResourceHandler("/common/**").addResourceLocations(location("examples/common/static")).setCachePeriod(0);
    registry.addResourceHandler("/lib/**").addResourceLocations(location("browser")).setCachePeriod(0);
    registry.addResourceHandler("/**").addResourceLocations(location("examples/hello-world/static")).setCachePeriod(0);
  }

  @Override
  public void addViewControllers(ViewControllerRegistry registry) {
    registry.addViewController("/").setViewName("forward:/index.html");
  }

  private String location(String under) {
    return dist.resolve(under).toUri().toString();
  }

  /** The same line the Node examples print, with the port actually bound (0 picks a free one). */
  @EventListener
  public void announce(WebServerInitializedEvent event) {
    System.out.printf("[java-hello-world] open http://%s:%d/ in a browser (media server: %s)%n",
        event.getApplicationContext().getEnvironment().getProperty("server.address", "localhost"),
        event.getWebServer().getPort(), kmsUrl);
  }

  public static void main(String[] args) {
    SpringApplication.run(HelloWorldApplication.class, args);
  }
}
