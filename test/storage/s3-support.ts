// The S3 tests' gateway and buckets: one gateway per test file (or CI's, from BERTH_TEST_S3_*),
// a fresh bucket per file, emptied and removed afterwards.
import { randomBytes } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Chunks } from "../../src/storage/driver.js";
import type { S3Options } from "../../src/storage/drivers/s3.js";
import { RGW_TOOLS, s3ForTests, type S3Server } from "../helpers/rgw.js";
import { hasTool } from "../helpers/tools.js";

export const MiB = 1024 * 1024;

/**
 * The gateway, or undefined when none is configured and Ceph is missing (the caller skips);
 * under CI=true a missing Ceph is a failure, as for every other real tool.
 */
export async function gatewayOrSkip(): Promise<S3Server | undefined> {
  if (process.env.BERTH_TEST_S3_ENDPOINT) return s3ForTests();
  const missing = RGW_TOOLS.filter((tool) => !hasTool(tool));
  if (missing.length > 0) {
    if (process.env.CI === "true") throw new Error(`missing tool(s): ${missing.join(", ")} (CI=true: .ci/run must install them)`);
    return undefined;
  }
  return s3ForTests();
}

export function rawClient(s3: S3Server): S3Client {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export async function createBucket(s3: S3Server): Promise<string> {
  const bucket = `berth-test-${randomBytes(6).toString("hex")}`;
  const client = rawClient(s3);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return bucket;
}

/** Every object and unfinished upload in `bucket` (raw keys, root included). */
export async function rawKeys(client: S3Client, bucket: string, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function openUploads(client: S3Client, bucket: string, prefix = ""): Promise<{ key: string; id: string }[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (page.Uploads ?? []).map((u) => ({ key: u.Key!, id: u.UploadId! }));
}

export async function removeBucket(s3: S3Server, bucket: string): Promise<void> {
  const client = rawClient(s3);
  try {
    for (const u of await openUploads(client, bucket)) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.id }));
    }
    const keys = await rawKeys(client, bucket);
    for (let i = 0; i < keys.length; i += 1000) {
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

export function driverOptions(s3: S3Server, bucket: string, overrides: Partial<S3Options> = {}): S3Options {
  return {
    region: s3.region,
    endpoint: s3.endpoint,
    bucket,
    forcePathStyle: true,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    rootDirectory: "/berth",
    chunkSize: 5 * MiB,
    multipartCopyThreshold: 32 * MiB,
    multipartCopyChunkSize: 32 * MiB,
    multipartCopyMaxConcurrency: 10,
    redirect: false,
    ...overrides,
  };
}

export async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

export async function* chunks(...parts: Buffer[]): Chunks {
  yield* parts;
}

/** `data` in pieces of `size` bytes, as a socket delivers a body. */
export async function* split(data: Buffer, size: number): Chunks {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}
