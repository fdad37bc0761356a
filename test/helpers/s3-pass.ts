// The S3 pass of `npm test`: runs the test folders given as arguments again with every registry on
// a fresh bucket (BERTH_TEST_STORAGE=s3). It uses the gateway named by BERTH_TEST_S3_* (CI starts
// one), else starts one for the whole pass when Ceph is installed; without Ceph it skips with one
// line, except with CI=true, where that is a failure.
import { spawn } from "node:child_process";
import { gatewayOrSkip } from "../storage/s3-support.js";

const folders = process.argv.slice(2);
// `node --test dist/test/` runs every file under test/, this one too, without arguments.
if (folders.length === 0 && process.env.NODE_TEST_CONTEXT) process.exit(0);
if (folders.length === 0) {
  console.error("usage: node s3-pass.js <test folder>...");
  process.exit(2);
}

let s3;
try {
  s3 = await gatewayOrSkip();
} catch (err) {
  console.error(`s3 pass: ${(err as Error).message.split("\n")[0]}`);
  process.exit(1);
}
if (!s3) {
  console.log("s3 pass: skipped, Ceph (radosgw) is not installed and BERTH_TEST_S3_ENDPOINT is not set");
  process.exit(0);
}

const child = spawn(process.execPath, ["--test", "--test-concurrency=1", ...folders], {
  stdio: "inherit",
  env: {
    ...process.env,
    BERTH_TEST_STORAGE: "s3",
    BERTH_TEST_S3_ENDPOINT: s3.endpoint,
    BERTH_TEST_S3_REGION: s3.region,
    BERTH_TEST_S3_ACCESSKEY: s3.accessKey,
    BERTH_TEST_S3_SECRETKEY: s3.secretKey,
  },
});
// An interrupted pass still stops the gateway it started.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
const code = await new Promise<number>((resolve) => child.once("exit", (c, sig) => resolve(c ?? (sig ? 1 : 0))));
await s3.stop();
process.exit(code);
