// Builds a running registry from a configuration: stores, services, jobs and the HTTP server.
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { AllowAll } from "../auth/authorizer.js";
import { sqlitePath, type Config } from "../config/config.js";
import { UploadPurger } from "../gc/upload-purger.js";
import { openSqliteStore } from "../metadata/sqlite.js";
import { Registry } from "../registry/registry.js";
import type { BlobStore } from "../storage/blobstore.js";
import { FilesystemBlobStore } from "../storage/drivers/filesystem.js";
import { MemoryBlobStore } from "../storage/drivers/memory.js";
import { createRequestListener } from "./http.js";

export interface RunningServer {
  server: Server;
  /** host:port actually bound */
  address: string;
  registry: Registry;
  close(): Promise<void>;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const blobs = await openBlobStore(config);
  const meta = await openSqliteStore(sqlitePath(config));
  const registry = new Registry({ blobs, meta, now: Date.now, deleteEnabled: config.storage.delete.enabled, log });

  const purging = config.storage.maintenance.uploadpurging;
  const purger = new UploadPurger(registry.uploads, purging.age, Date.now, log);
  if (purging.enabled) {
    purger.start(purging.interval);
    void purger.run();
  }

  const listener = createRequestListener({
    registry,
    authorizer: new AllowAll(),
    log,
    accessLog: !config.log.accesslog.disabled,
  });
  const { certificate, key } = config.http.tls;
  const server: Server =
    certificate && key
      ? createHttpsServer({ cert: readFileSync(certificate), key: readFileSync(key) }, listener)
      : createHttpServer(listener);
  // Large blobs take as long as they take; only idle or header-less connections are cut.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 75_000;

  const [host, port] = splitHostPort(config.http.addr);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const address = `${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`;

  return {
    server,
    address,
    registry,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests get a grace period, then their connections are cut.
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      });
      await purger.stop();
      await registry.close();
      await meta.close();
    },
  };
}

async function openBlobStore(config: Config): Promise<BlobStore> {
  if (config.storage.driver === "inmemory") return new MemoryBlobStore();
  const store = new FilesystemBlobStore(config.storage.filesystem.rootdirectory);
  await store.init();
  return store;
}

function splitHostPort(addr: string): [string, number] {
  const colon = addr.lastIndexOf(":");
  const host = addr.slice(0, colon).replace(/^\[|\]$/g, "");
  return [host === "" ? "0.0.0.0" : host, Number(addr.slice(colon + 1))];
}
