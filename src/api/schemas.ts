// The shapes the admin API reads and answers, as zod schemas: request bodies are validated with
// them, and the OpenAPI document describes both from them. Times travel as ISO-8601 UTC strings.
import { z } from "zod";

const time = z.iso.datetime();
const text = z.string();
const name = z.string().min(1).max(255);

export const bodies = {
  none: z.strictObject({}),
  createTenancy: z.strictObject({
    namespace: name,
    description: text.optional(),
    repositoryLimit: z.number().int().min(0).optional(),
    adminUser: name.optional(),
  }),
  updateTenancy: z.strictObject({
    description: text.optional(),
    repositoryLimit: z.number().int().min(0).optional(),
    /** bytes; null removes the quota */
    storageQuota: z.number().int().min(0).nullable().optional(),
  }),
  createNamed: z.strictObject({ name, description: text.optional() }),
  createAuthToken: z.strictObject({ description: text.optional() }),
  addMember: z.strictObject({ user: name }),
  createPolicy: z.strictObject({ name, description: text.optional(), statements: z.array(z.string()) }),
  /** a policy editor's statements, checked without saving (more than a policy may hold are reported, not refused) */
  checkPolicy: z.strictObject({ statements: z.array(z.string()).max(200) }),
  updatePolicy: z.strictObject({ description: text.optional(), statements: z.array(z.string()).optional() }),
  createRepository: z.strictObject({ name, isPublic: z.boolean().optional() }),
  updateRepository: z.strictObject({ isPublic: z.boolean().optional(), immutableTags: z.boolean().optional() }),
  startGc: z.strictObject({ dryRun: z.boolean().optional() }),
};

export const tenancy = z.object({
  namespace: z.string(),
  description: z.string(),
  repositoryLimit: z.number().int(),
  storageQuota: z.number().int().nullable(),
  createdAt: time,
});
export const user = z.object({ id: z.string(), tenancy: z.string(), name: z.string(), description: z.string(), createdAt: time });
export const group = user;
export const policy = z.object({
  id: z.string(),
  tenancy: z.string(),
  name: z.string(),
  description: z.string(),
  statements: z.array(z.string()),
  createdAt: time,
});
export const policyCheck = z.object({
  statements: z.array(
    z.union([
      z.object({ ok: z.literal(true) }),
      /** column: 1-based position in the statement (UTF-16 code units, as JavaScript counts); length: of the offending token */
      z.object({ ok: z.literal(false), message: z.string(), column: z.number().int(), length: z.number().int().optional() }),
    ]),
  ),
});
export const authToken = z.object({ id: z.string(), userId: z.string(), description: z.string(), createdAt: time, lastUsedAt: time.nullable() });
export const createdAuthToken = z.object({ token: z.string(), record: authToken });
export const createdTenancy = z.object({ tenancy, admin: user.optional(), token: z.string().optional() });
export const userDetail = z.object({ user, groups: z.array(group) });
export const repository = z.object({
  name: z.string(),
  isPublic: z.boolean(),
  immutableTags: z.boolean(),
  createdAt: time,
  tags: z.number().int(),
  manifests: z.number().int(),
  size: z.number().int(),
  pulls: z.number().int(),
  lastPushedAt: time.nullable(),
});
/** size: the image's bytes (manifest, an index's children, their blobs once each); pushedAt: when the tag last moved to the digest */
export const tag = z.object({ name: z.string(), digest: z.string(), size: z.number().int(), pushedAt: time });
export const image = z.object({
  digest: z.string(),
  mediaType: z.string(),
  artifactType: z.string().nullable(),
  size: z.number().int(),
  pushedAt: time,
  /** `<tenancy>/<user>` who pushed it; null when anonymous, offline or before this was recorded */
  pushedBy: z.string().nullable(),
  lastPulledAt: time.nullable(),
  pullCount: z.number().int(),
  tags: z.array(z.string()),
  /** an index's: the platforms its manifests name */
  platforms: z.array(z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() })).optional(),
});
const descriptor = { digest: z.string(), mediaType: z.string(), size: z.number().int() };
export const imageDetail = image.extend({
  /** the digest this artifact refers to (a signature's image) */
  subject: z.string().nullable(),
  /** an image manifest's config; the summary fields when it is an image config of at most 1 MiB */
  config: z
    .object({
      ...descriptor,
      os: z.string().optional(),
      architecture: z.string().optional(),
      variant: z.string().optional(),
      created: z.string().optional(),
      entrypoint: z.array(z.string()).optional(),
      cmd: z.array(z.string()).optional(),
      labels: z.object({}).catchall(z.string()).optional(),
    })
    .optional(),
  layers: z.array(z.object(descriptor)).optional(),
  /** an index's manifests */
  manifests: z.array(z.object({ ...descriptor, platform: z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() }).optional() })).optional(),
  /** manifests whose subject is this image (signatures, SBOMs), oldest first */
  referrers: z.array(z.object({ ...descriptor, artifactType: z.string().nullable(), pushedAt: time })),
});
export const auditEvent = z.object({
  at: time,
  tenancy: z.string().nullable(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  outcome: z.enum(["allowed", "denied", "ok", "failed", "throttled"]),
  address: z.string().nullable(),
  detail: z.string().nullable(),
});
const usageWindow = z.object({
  days: z.number().int(),
  pulls: z.number().int(),
  egressBytes: z.number().int(),
  daily: z.array(z.object({ date: z.iso.date(), pulls: z.number().int(), egressBytes: z.number().int() })),
});
export const usage = z.object({
  namespace: z.string(),
  repositoryLimit: z.number().int(),
  repositories: z.number().int(),
  tags: z.number().int(),
  manifests: z.number().int(),
  size: z.number().int(),
  pulls: z.number().int(),
  storedBytes: z.number().int(),
  storageQuota: z.number().int().nullable(),
  window: usageWindow,
});
export const repositoryUsage = z.object({
  name: z.string(),
  storedBytes: z.number().int(),
  manifests: z.number().int(),
  tags: z.number().int(),
  immutableTags: z.boolean(),
  totalPulls: z.number().int(),
  window: usageWindow,
});
export const whoami = z.object({
  kind: z.enum(["user", "local", "anonymous"]),
  name: z.string(),
  tenancy: z.string().optional(),
  user: z.string().optional(),
  groups: z.array(z.string()).optional(),
});
export const signingKey = z.object({ kid: z.string() });
/** the operations asked about that the caller may do, in the order asked */
export const permissions = z.object({ allowed: z.array(z.string()) });
const gcCounts = { manifests: z.number().int(), blobs: z.number().int(), bytes: z.number().int(), uploads: z.number().int() };
export const gcRun = z.object({
  id: z.string(),
  state: z.enum(["running", "succeeded", "failed", "interrupted"]),
  dryRun: z.boolean(),
  trigger: z.string(),
  startedAt: time,
  finishedAt: time.nullable(),
  updatedAt: time,
  progress: z.object({ phase: z.string(), ...gcCounts }),
  result: z.object(gcCounts).nullable(),
  error: z.string().nullable(),
});

/** The OCI error envelope every failure answers with. */
export const errorEnvelope = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string(), detail: z.unknown().optional() })).min(1),
});
