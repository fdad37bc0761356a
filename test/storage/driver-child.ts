// The other process of driver-suite.ts's "continued by another process": opens a driver over
// the parent's storage, continues the parent's writer with the bytes sent, answers its size and
// state, and exits without committing.
import type { StorageDriver } from "../../src/storage/driver.js";

interface Request {
  module: string;
  args: unknown;
  key: string;
  at: number;
  state: string;
  data: string;
}

async function run(m: Request): Promise<{ size: number; state: string }> {
  const { openDriver } = (await import(m.module)) as { openDriver(args: unknown): Promise<StorageDriver> };
  const driver = await openDriver(m.args);
  const writer = await driver.writer(m.key, { at: m.at, state: m.state });
  const size = await writer.write((async function* () {
    yield Buffer.from(m.data, "base64");
  })());
  return { size, state: writer.state };
}

if (process.send) {
  process.once("message", (m: Request) => {
    run(m).then(
      (answer) => process.send!(answer, () => process.exit(0)),
      (err: Error) => process.send!({ error: err.stack ?? String(err) }, () => process.exit(1)),
    );
  });
}
