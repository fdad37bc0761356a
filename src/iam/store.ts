// Persistence contract for identities and access: tenancies, users, groups, memberships,
// policies, auth tokens (hashes only), repository visibility, signing keys and the audit log.

export interface Tenancy {
  namespace: string;
  description: string;
  repositoryLimit: number;
  /** bytes its repositories may store together, each blob once (null or absent: no quota) */
  storageQuota?: number | null;
  createdAt: number;
}

export interface User {
  id: string;
  tenancy: string;
  name: string;
  description: string;
  createdAt: number;
}

export interface Group {
  id: string;
  tenancy: string;
  name: string;
  description: string;
  createdAt: number;
}

export interface Policy {
  id: string;
  tenancy: string;
  name: string;
  description: string;
  statements: string[];
  createdAt: number;
}

export interface AuthTokenRecord {
  id: string;
  userId: string;
  description: string;
  /** hex SHA-256 of the token; the token itself is never stored */
  hash: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** A console session (src/auth/sessions.ts), by the SHA-256 of the id its cookie carries. */
export interface SessionRecord {
  idHash: string;
  userId: string;
  /** the auth token the user signed in with (the session ends with it); null: the console password */
  tokenId: string | null;
  createdAt: number;
  lastUsedAt: number;
  /** the absolute end, whatever the use */
  expiresAt: number;
}

export interface RepositoryInfo {
  name: string;
  isPublic: boolean;
  /** a pushed tag never moves to another digest, and is never deleted */
  immutableTags: boolean;
  createdAt: number;
}

export interface SigningKey {
  kid: string;
  privateJwk: string;
  publicJwk: string;
  createdAt: number;
  retiredAt: number | null;
}

export interface AuditEvent {
  at: number;
  tenancy: string | null;
  actor: string;
  action: string;
  target: string;
  /** `throttled`: a login refused unchecked, after too many failures (auth/rate-limit.ts) */
  outcome: "allowed" | "denied" | "ok" | "failed" | "throttled";
  address: string | null;
  detail: string | null;
}

/**
 * Where a page of the audit log stopped: the time of its last event and how many events at that
 * very time the pages so far have shown (events share a millisecond; none has an id).
 */
export interface AuditPosition {
  at: number;
  seen: number;
}

/** What a reader of the audit log narrows it to: each field given must match exactly; `since` is epoch ms, inclusive. */
export interface AuditQuery {
  actor?: string;
  action?: string;
  outcome?: AuditEvent["outcome"];
  since?: number;
  /** a repository's history: events about it, its tags and its images */
  repository?: string;
}

export interface LoginFailures {
  count: number;
  /** when the window ends and the count starts again from zero (epoch ms) */
  resetAt: number;
}

export interface IamStore {
  createTenancy(t: Tenancy): Promise<void>;
  getTenancy(namespace: string): Promise<Tenancy | undefined>;
  listTenancies(): Promise<Tenancy[]>;
  updateTenancy(namespace: string, changes: { repositoryLimit?: number; description?: string; storageQuota?: number | null }): Promise<boolean>;
  /**
   * Removes the tenancy and everything in its IAM (console passwords and sessions too); false when
   * there is no such tenancy or it still holds repositories (the caller deletes those first).
   * Atomic with repository creation.
   */
  deleteTenancy(namespace: string): Promise<boolean>;

  createUser(u: User): Promise<void>;
  getUser(tenancy: string, name: string): Promise<User | undefined>;
  getUserById(id: string): Promise<User | undefined>;
  listUsers(tenancy: string): Promise<User[]>;
  /** Deletes the user with its auth tokens, memberships, console password and sessions. */
  deleteUser(id: string): Promise<boolean>;

  createGroup(g: Group): Promise<void>;
  getGroup(tenancy: string, name: string): Promise<Group | undefined>;
  listGroups(tenancy: string): Promise<Group[]>;
  deleteGroup(id: string): Promise<boolean>;
  addMember(groupId: string, userId: string): Promise<void>;
  removeMember(groupId: string, userId: string): Promise<boolean>;
  listMembers(groupId: string): Promise<User[]>;
  groupsOfUser(userId: string): Promise<Group[]>;

  createPolicy(p: Policy): Promise<void>;
  getPolicy(tenancy: string, name: string): Promise<Policy | undefined>;
  listPolicies(tenancy: string): Promise<Policy[]>;
  updatePolicy(id: string, changes: { statements?: string[]; description?: string }): Promise<boolean>;
  deletePolicy(id: string): Promise<boolean>;

  /** Inserts the token unless the user already holds `max`; returns false then. Atomic. */
  createAuthToken(t: AuthTokenRecord, max: number): Promise<boolean>;
  listAuthTokens(userId: string): Promise<AuthTokenRecord[]>;
  findAuthTokenByHash(hash: string): Promise<AuthTokenRecord | undefined>;
  deleteAuthToken(userId: string, id: string): Promise<boolean>;
  authTokenExists(id: string): Promise<boolean>;
  touchAuthToken(id: string, at: number): Promise<void>;

  /**
   * Sets the user's console password (its scrypt string) and ends the user's sessions but `keep`,
   * in one transaction; false when there is no such user.
   */
  setConsolePassword(userId: string, hash: string, at: number, keep?: string): Promise<boolean>;
  getConsolePassword(userId: string): Promise<string | undefined>;

  createSession(s: SessionRecord): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  /** Moves a session's last use forward (never back). */
  touchSession(idHash: string, at: number): Promise<void>;
  deleteSession(idHash: string): Promise<boolean>;
  /** Deletes every session past its absolute end, or unused since `idleSince`; returns how many. */
  purgeSessions(now: number, idleSince: number): Promise<number>;

  getRepositoryInfo(name: string): Promise<RepositoryInfo | undefined>;
  /** Repositories of a namespace (`<namespace>/...`), sorted. */
  listRepositoryInfos(namespace: string): Promise<RepositoryInfo[]>;
  countRepositories(namespace: string): Promise<number>;
  setRepositoryPublic(name: string, isPublic: boolean): Promise<boolean>;
  /** false when there is no such repository */
  setRepositoryImmutableTags(name: string, immutable: boolean): Promise<boolean>;

  /** Failed logins for `key` in its current window; undefined when none (or the window has passed). */
  loginFailures(key: string, now: number): Promise<LoginFailures | undefined>;
  /** Counts one failure; a new window of `window` ms starts when the last one has passed. */
  addLoginFailure(key: string, now: number, window: number): Promise<void>;
  clearLoginFailures(key: string): Promise<void>;
  /** Clears the counters of every key that starts with `prefix`. */
  clearLoginFailuresWithPrefix(prefix: string): Promise<void>;

  /**
   * A number that moves in the same transaction as any change to tenancies, users, groups,
   * memberships, policies, or an auth token's deletion. Read on every authenticated request, so
   * that caches of principals and policies are dropped on the next request after a change, in
   * every process and on every node.
   */
  accessVersion(): Promise<number>;

  listSigningKeys(): Promise<SigningKey[]>;
  addSigningKey(k: SigningKey): Promise<void>;
  retireSigningKey(kid: string, at: number): Promise<void>;

  appendAudit(events: AuditEvent[]): Promise<void>;
  /**
   * Newest first, in one fixed order (ties on `at` broken by the other fields): `tenancy` only that
   * tenancy's events (all, tenancy-less included, when absent); `after` continues a page.
   */
  listAudit(filter: { tenancy?: string; limit: number; before?: number; after?: AuditPosition } & AuditQuery): Promise<AuditEvent[]>;
}
