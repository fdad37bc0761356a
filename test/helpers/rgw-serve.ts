// Starts one throwaway RADOS Gateway for a whole test run (.ci/run): writes its BERTH_TEST_S3_*
// variables as `export` lines to the file named by the first argument, then keeps the cluster
// up until SIGTERM or SIGINT, when it stops every daemon and removes the cluster's folder.
import { rename, writeFile } from "node:fs/promises";
import { startRgw } from "./rgw.js";

const envFile = process.argv[2];
// `node --test dist/test/` runs every file under test/, this one too, without arguments.
if (!envFile && process.env.NODE_TEST_CONTEXT) process.exit(0);
if (!envFile) {
  console.error("usage: node rgw-serve.js <env-file>");
  process.exit(2);
}
const s3 = await startRgw();
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await s3.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
const vars = { ENDPOINT: s3.endpoint, REGION: s3.region, ACCESSKEY: s3.accessKey, SECRETKEY: s3.secretKey };
// Written whole, then renamed: whoever polls for the file never reads half of it.
await writeFile(`${envFile}.tmp`, Object.entries(vars).map(([k, v]) => `export BERTH_TEST_S3_${k}='${v}'\n`).join(""), { mode: 0o600 });
await rename(`${envFile}.tmp`, envFile);
// Keeps the event loop alive until a signal arrives.
setInterval(() => {}, 1 << 30);
