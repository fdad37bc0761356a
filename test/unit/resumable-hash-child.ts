// Child of resumable-hash.test.ts: restores a hash state sent by the parent, hashes more bytes,
// and answers the digest and the new state.
import { ResumableHash } from "../../src/content/resumable-hash.js";

if (process.send) process.once("message", (m: { state: string; data: string }) => {
  const hash = ResumableHash.restore("sha256", Buffer.from(m.state, "base64")).update(Buffer.from(m.data, "base64"));
  process.send!({ digest: hash.digest(), state: hash.state().toString("base64") }, () => process.exit(0));
});
