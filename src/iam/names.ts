// Names in the IAM model. A tenancy namespace is the first path segment of its repositories,
// so it follows the repository path-component grammar (lowercase).
const NAMESPACE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export function isValidNamespace(value: string): boolean {
  return value.length <= 63 && NAMESPACE.test(value);
}

/** Users, groups and policies: letters, digits, `_ . @ -` (emails work as user names). */
export function isValidIdentifier(value: string): boolean {
  return IDENTIFIER.test(value);
}

/** `ourtenant/oxar/web` → { namespace: "ourtenant", path: "oxar/web" } */
export function splitRepository(name: string): { namespace: string; path: string } {
  const slash = name.indexOf("/");
  return slash < 0 ? { namespace: name, path: "" } : { namespace: name.slice(0, slash), path: name.slice(slash + 1) };
}

/** `ourtenant/dockerdev` → { namespace, user }; undefined when there is no slash. */
export function splitLogin(login: string): { namespace: string; user: string } | undefined {
  const slash = login.indexOf("/");
  if (slash <= 0 || slash === login.length - 1) return undefined;
  return { namespace: login.slice(0, slash), user: login.slice(slash + 1) };
}
