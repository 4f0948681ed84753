// Free loopback ports for servers a test must restart on the same port (a dev server on its database, the stand-in).
import net from 'node:net';

const taken = new Set<number>();

/**
 * A free port below the kernel's ephemeral range (32768+): a port from that range can be taken by some
 * outgoing connection between two starts of the server, which then cannot bind it again.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (taken.has(port)) continue;
    taken.add(port);
    const free = await new Promise<boolean>((resolve) => {
      const s = net
        .createServer()
        .once('error', () => resolve(false))
        .listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
