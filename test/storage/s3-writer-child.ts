// A separate process for the S3 tests: opens a driver from the JSON options in
// BERTH_TEST_S3_DRIVER (the environment, not argv: it holds a secret), writes the file argv[3] to
// key argv[2] through a writer in 100 KB pieces, prints {size, state}, and exits.
// The parent continues the upload with that state, as a request on another node would.
import { readFile } from "node:fs/promises";
import { S3Driver, type S3Options } from "../../src/storage/drivers/s3.js";
import { split } from "./driver-contract.js";

const [key, file] = process.argv.slice(2) as [string, string];
const driver = new S3Driver(JSON.parse(process.env.BERTH_TEST_S3_DRIVER!) as S3Options);
const writer = await driver.writer(key);
await writer.write(split(await readFile(file), 100_000));
process.stdout.write(JSON.stringify({ size: writer.size, state: writer.state }));
driver.close();
