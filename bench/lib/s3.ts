// The S3 gateway of the S3 rows: CI's (BERTH_TEST_S3_*) or a throwaway Ceph RADOS Gateway, and a
// bucket of its own for each registry, removed afterwards.
import { RGW_TOOLS, s3ForTests, startRgw, type S3Server } from "../../test/helpers/rgw.js";
import { createBucket, removeBucket } from "../../test/storage/s3-support.js";
import type { S3Bucket } from "./servers.js";
import { which } from "./proc.js";

export type { S3Server };

/** Debian's packages of the throwaway gateway (test/helpers/rgw.ts). */
export const RGW_PACKAGES = ["ceph-mon", "ceph-osd", "radosgw", "ceph-common"];

export const gatewayConfigured = (): boolean => Boolean(process.env.BERTH_TEST_S3_ENDPOINT);

export const missingGatewayTools = (): string[] => RGW_TOOLS.filter((tool) => !which(tool));

/**
 * CI's gateway when BERTH_TEST_S3_* names one; otherwise, when `startOne`, a throwaway one whose
 * OSD can hold `capacity` bytes (a sparse file: only what is written takes disk).
 */
export async function benchGateway(startOne: boolean, capacity: number): Promise<S3Server | undefined> {
  if (gatewayConfigured()) return s3ForTests();
  if (!startOne) return undefined;
  return startRgw({ blockSize: capacity });
}

export async function benchBucket(s3: S3Server): Promise<S3Bucket> {
  return { endpoint: s3.endpoint, region: s3.region, accessKey: s3.accessKey, secretKey: s3.secretKey, bucket: await createBucket(s3) };
}

/** Empties and removes a bucket (a shared gateway keeps nothing of the run). */
export async function dropBucket(s3: S3Server, bucket: S3Bucket): Promise<void> {
  await removeBucket(s3, bucket.bucket);
}
