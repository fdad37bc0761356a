// `storage.s3`: Distribution's keys where they mean the same, S3's limits on part sizes, and the
// checks that need more than one key.
import { z } from "zod";
import { bool } from "./values.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** A byte count between S3's smallest part (5 MiB, the last excepted) and its largest (5 GiB). */
const partSize = (fallback: number) => z.coerce.number().int().min(5 * MiB, "must be at least 5 MiB (5242880), S3's smallest part").max(5 * GiB, "must be at most 5 GiB").default(fallback);

const S3_DEFAULTS = {
  region: "us-east-1",
  forcepathstyle: false,
  secure: true,
  rootdirectory: "",
  chunksize: 10 * MiB,
  multipartcopythresholdsize: 32 * MiB,
  multipartcopychunksize: 32 * MiB,
  multipartcopymaxconcurrency: 100,
};

/** Distribution's `storage.s3` keys where they mean the same; `bucket` is required with `driver: s3`. */
export const s3 = z
  .object({
    region: z.string().min(1).default(S3_DEFAULTS.region),
    /** the S3 endpoint (RGW, MinIO, …): a URL, or host[:port] with `secure` choosing the scheme; absent for AWS */
    regionendpoint: z.string().min(1).optional(),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3-63 of a-z, 0-9, '.', '-')").optional(),
    forcepathstyle: bool.default(S3_DEFAULTS.forcepathstyle),
    /** absent: the AWS credential chain (AWS_ACCESS_KEY_ID…, ~/.aws, an instance role) */
    accesskey: z.string().min(1).optional(),
    secretkey: z.string().min(1).optional(),
    /** `http` for a `regionendpoint` given without a scheme when false */
    secure: bool.default(S3_DEFAULTS.secure),
    /** accepted for Distribution configs; requests are always signed with Signature V4 */
    v4auth: bool.optional(),
    rootdirectory: z.string().default(S3_DEFAULTS.rootdirectory),
    chunksize: partSize(S3_DEFAULTS.chunksize),
    multipartcopythresholdsize: z.coerce.number().int().min(0).max(5 * GiB, "must be at most 5 GiB").default(S3_DEFAULTS.multipartcopythresholdsize),
    multipartcopychunksize: partSize(S3_DEFAULTS.multipartcopychunksize),
    multipartcopymaxconcurrency: z.coerce.number().int().min(1).max(1000).default(S3_DEFAULTS.multipartcopymaxconcurrency),
  })
  .strict();

/** storage.s3 keys: their schema words its own messages (S3's limits, Distribution's names). */
export const S3_KEYS = Object.keys(s3.shape).map((k) => `storage.s3.${k}`);

/**
 * With `driver: s3`: what is wrong with `storage.s3` as a whole (one line naming the key), or
 * undefined; a `regionendpoint` without a scheme gets one here (`secure` chooses).
 */
export function normalizeS3(driver: string, config: z.infer<typeof s3> | undefined): string | undefined {
  if (driver !== "s3") return undefined;
  if (!config?.bucket) return "storage.s3.bucket: required with storage.driver s3";
  if (Boolean(config.accesskey) !== Boolean(config.secretkey)) {
    return "storage.s3: accesskey and secretkey must be given together (or neither, for the AWS credential chain)";
  }
  if (config.regionendpoint) {
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(config.regionendpoint) ? config.regionendpoint : `${config.secure ? "https" : "http"}://${config.regionendpoint}`;
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) return `storage.s3.regionendpoint: "${config.regionendpoint}" is not an http(s) URL or host:port`;
    config.regionendpoint = url.replace(/\/+$/, "");
  }
  return undefined;
}
