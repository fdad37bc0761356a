// A TCP relay in front of a server, so a test can take the server away without stopping it, or
// slow what clients send through it.
import { createConnection, createServer, type Socket } from "node:net";

export interface TcpRelay {
  endpoint: string;
  stop(): Promise<void>;
}

/** Relays to `target`; with `bytesPerSecond`, forwards what clients send no faster than that. */
export async function tcpRelay(target: URL, options: { bytesPerSecond?: number } = {}): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  const rate = options.bytesPerSecond;
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    if (rate === undefined) {
      client.pipe(upstream);
    } else {
      client.on("data", (chunk: Buffer) => {
        upstream.write(chunk);
        client.pause();
        setTimeout(() => client.resume(), (chunk.length / rate) * 1000);
      });
      client.on("end", () => upstream.end());
    }
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
