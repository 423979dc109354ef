package io.kuroshio.compat.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay between the client and the server on loopback, so that a test can cut the client's
 * connection under it (the TCP connection ends with no WebSocket close, as when a server process
 * or a proxy on the way goes away) while the server, and the relay's listening socket, stay up for
 * the client to reconnect through.
 *
 * <p>The cut is a plain close (FIN), not a reset: on a reset the Java client's Netty handler closes
 * the client for good instead of reconnecting, with KMS as with any server.
 */
public final class TcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final String path;
  private volatile URI target;
  private final List<Socket> open = new ArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicLong clientBytes = new AtomicLong();

  /** Relays to the host and port of {@code targetUrl} (a ws:// URL). */
  public TcpProxy(String targetUrl) throws IOException {
    target = URI.create(targetUrl);
    path = target.getRawPath();
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The target URL with the relay's port in place of the server's. */
  public String url() {
    return "ws://127.0.0.1:" + listener.getLocalPort() + path;
  }

  /** Relays connections made from now on to another server (as if the server had restarted). */
  public void retarget(String targetUrl) {
    target = URI.create(targetUrl);
  }

  /** Bytes the clients have sent through the relay so far. */
  public long bytesFromClients() {
    return clientBytes.get();
  }

  /** How many client connections the relay has accepted so far. */
  public int connectionsAccepted() {
    return accepted.get();
  }

  /** Closes every relayed connection at once; new connections are still accepted. */
  public synchronized void cut() {
    open.forEach(TcpProxy::closeQuietly);
    open.clear();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(target.getHost(), target.getPort());
        synchronized (this) {
          open.add(client);
          open.add(server);
        }
        accepted.incrementAndGet();
        pump(client, server, clientBytes);
        pump(server, client, new AtomicLong());
      } catch (IOException e) {
        // The listener was closed, or the server refused: the client sees a failed connection.
      }
    }
  }

  private static void pump(Socket from, Socket to, AtomicLong counted) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16384];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          out.flush();
          counted.addAndGet(n);
        }
      } catch (IOException e) {
        // One side went away: the finally below ends the other.
      } finally {
        closeQuietly(to);
        closeQuietly(from);
      }
    }, "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Closing a closed socket: nothing to do.
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    cut();
  }
}
